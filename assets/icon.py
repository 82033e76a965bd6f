"""Draw the app's page icon, `assets/icon.png`: a loss curve falling toward its floor.

The icon ships with the app so that no browser fetches it (or a font to draw
it) from another host: a classroom may have no internet. Run this file again
after changing it: `python assets/icon.py`. Needs only Pillow (a Streamlit
dependency).
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 64  # favicon pixels
SCALE = 4  # drawn larger, then downsampled: smooth edges
BLUE = (0, 114, 178, 255)  # the theme's primary colour (Okabe-Ito blue)
ORANGE = (230, 159, 0, 255)  # Okabe-Ito orange: where the loss ends up
AXES = (110, 120, 130, 255)
PATH = Path(__file__).with_name("icon.png")


def draw() -> Image.Image:
    big = SIZE * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=12 * SCALE, fill=(255, 255, 255, 255),
                          outline=(208, 216, 224, 255), width=2 * SCALE)
    left, top, right, bottom = 12 * SCALE, 10 * SCALE, 54 * SCALE, 52 * SCALE
    pen.line([(left, top), (left, bottom), (right, bottom)], fill=AXES, width=3 * SCALE, joint="curve")
    # loss(t) = floor + (1 - floor) * exp(-4 t): steep at first, then flat.
    floor, points = 0.12, []
    for k in range(41):
        t = k / 40
        loss = floor + (1 - floor) * math.exp(-4 * t)
        x = left + 5 * SCALE + t * (right - left - 9 * SCALE)
        y = bottom - 5 * SCALE - loss * (bottom - top - 8 * SCALE)
        points.append((x, y))
    pen.line(points, fill=BLUE, width=6 * SCALE, joint="curve")
    for x, y in (points[0], points[-1]):  # round line ends
        r = 3 * SCALE
        pen.ellipse((x - r, y - r, x + r, y + r), fill=BLUE)
    x, y = points[-1]
    r = 5 * SCALE
    pen.ellipse((x - r, y - r, x + r, y + r), fill=ORANGE, outline=(255, 255, 255, 255), width=SCALE)
    return image.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


if __name__ == "__main__":
    draw().save(PATH, optimize=True)
    print(f"wrote {PATH} ({PATH.stat().st_size} bytes)")
