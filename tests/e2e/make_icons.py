"""Draw the PWA's icons (app/web/icons/*.png) with the standard library only: run it to redraw.

A white tick in a ring on the app's teal. `icon-*.png` are rounded squares; `maskable-512.png`
fills the whole square and keeps the drawing inside the central 80% safe zone.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

WEB_ICONS = Path(__file__).resolve().parents[2] / "app" / "web" / "icons"
TEAL = (15, 92, 116)
WHITE = (255, 255, 255)


def _segment_distance(
    px: float, py: float, a: tuple[float, float], b: tuple[float, float]
) -> float:
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _rounded_square_distance(px: float, py: float, size: float, radius: float) -> float:
    half = size / 2
    qx = abs(px - half) - (half - radius)
    qy = abs(py - half) - (half - radius)
    outside = math.hypot(max(qx, 0.0), max(qy, 0.0))
    return outside + min(max(qx, qy), 0.0) - radius


def _coverage(distance: float) -> float:
    """Anti-aliased coverage of a pixel whose centre is `distance` outside a shape's edge."""
    return max(0.0, min(1.0, 0.5 - distance))


def draw(size: int, *, maskable: bool) -> bytes:
    scale = size / 512
    # The drawing: a ring and a tick, smaller on maskable icons (safe zone: radius 0.4 * size).
    drawing = 0.78 if maskable else 1.0
    cx = cy = size / 2
    ring_radius = 170 * scale * drawing
    ring_width = 34 * scale * drawing
    tick_width = 44 * scale * drawing

    def at(x: float, y: float) -> tuple[float, float]:
        return cx + (x - 256) * scale * drawing, cy + (y - 256) * scale * drawing

    tick = [at(176, 262), at(232, 318), at(340, 204)]
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter: none
        for x in range(size):
            px, py = x + 0.5, y + 0.5
            if maskable:
                background = 1.0
            else:
                background = _coverage(_rounded_square_distance(px, py, size, 96 * scale))
            ring = _coverage(abs(math.hypot(px - cx, py - cy) - ring_radius) - ring_width / 2)
            mark = min(_segment_distance(px, py, tick[0], tick[1]),
                       _segment_distance(px, py, tick[1], tick[2]))  # fmt: skip
            white = max(ring, _coverage(mark - tick_width / 2))
            colour = [round(t + (w - t) * white) for t, w in zip(TEAL, WHITE, strict=True)]
            alpha = round(255 * max(background, white if background else 0.0))
            row += bytes([*colour, alpha])
        rows.append(bytes(row))
    return _png(size, size, b"".join(rows))


def _png(width: int, height: int, raw_rgba_rows: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw_rgba_rows, 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    WEB_ICONS.mkdir(parents=True, exist_ok=True)
    for name, size, maskable in (
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("maskable-512.png", 512, True),
        ("apple-touch-icon.png", 180, True),  # iOS rounds the corners itself
    ):
        (WEB_ICONS / name).write_bytes(draw(size, maskable=maskable))


if __name__ == "__main__":
    main()
