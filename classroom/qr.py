"""The join link and its QR code, drawn here (segno), never fetched from another host.

``join_url`` builds the student link from the app's own base URL;
``qr_svg`` returns an inline ``<svg>`` string for ``st.html`` / ``st.markdown``
(made from our own data; no external image, no script).
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import segno

from classroom import validate
from classroom.errors import BadInput

#: The query key of the room code in a join link.
ROOM_QUERY_KEY = "room"


def join_url(base_url: str, code: str, *, path: str = "") -> str:
    """``{base_url}{path}?room=CODE``: ``base_url`` is the app's own http(s) address, e.g. ``https://host:8501/``."""
    code = validate.room_code(code)
    if not isinstance(base_url, str):
        raise BadInput("Base URL: expected text.")
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput("Base URL: an http(s) address with a host name.")
    if parts.username or parts.password:
        raise BadInput("Base URL: no user name or password in it.")
    full_path = parts.path.rstrip("/") + "/" + path.lstrip("/") if path else (parts.path or "/")
    return urlunsplit((parts.scheme, parts.netloc, full_path, urlencode({ROOM_QUERY_KEY: code}), ""))


def qr_svg(data: str, *, scale: int = 8, dark: str = "#000000", light: str = "#ffffff", border: int = 4,
           responsive: bool = False) -> str:
    """An inline SVG QR code of ``data`` (error correction M, quiet zone of ``border`` modules).

    ``responsive``: no width/height, only a viewBox, so CSS sizes it (e.g. ``width: 40vh`` on a projector).
    """
    if not isinstance(data, str) or not 0 < len(data) <= 1000:
        raise BadInput("QR code: 1 to 1000 characters of text.")
    code = segno.make(data, error="m", micro=False)
    return code.svg_inline(scale=scale, dark=dark, light=light, border=border, title="Join link",
                            omitsize=responsive)
