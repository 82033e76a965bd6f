"""'Show code' files: real, runnable Python with a generated parameter block.

Each scenario keeps the code a student sees under "Show code" as a real
file, `scenarios/<name>/reproduce.py`: ruff checks it, and it runs as it is
(with the default slider values). Its parameters sit between two marker
lines; the app replaces that block with the values of the run on screen,
one `NAME = value` line each, and changes nothing else. A test checks that
the block on disk is what the defaults generate, so the file never drifts.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

BLOCK_START = "# --- parameters (the app rewrites this block with the values on screen) ---"
BLOCK_END = "# --- end of parameters ---"


def parameter_block(values: Mapping[str, object]) -> str:
    """`NAME = repr(value)` lines between the markers, in the given order."""
    for name in values:
        if not name.isupper() or not name.isidentifier():
            raise ValueError(f"parameter names are UPPER_CASE identifiers, got {name!r}")
    lines = [f"{name} = {value!r}" for name, value in values.items()]
    return "\n".join([BLOCK_START, *lines, BLOCK_END])


def fill(path: Path, values: Mapping[str, object]) -> str:
    """The file's text with its parameter block replaced by `values`."""
    text = path.read_text(encoding="utf-8")
    start = text.index(BLOCK_START)
    end = text.index(BLOCK_END, start) + len(BLOCK_END)
    return text[:start] + parameter_block(values) + text[end:]
