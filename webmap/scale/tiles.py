"""Web Mercator tile arithmetic (z/x/y as Leaflet and OpenStreetMap number them) and zoom levels."""

from __future__ import annotations

import math

MAX_ZOOM = 19

# Ward outlines: (lowest map zoom, tolerance in metres, decimal places, zoom of the tiles they are fetched by).
# Coarse outlines at low zoom keep a whole country to a few hundred kilobytes; tiles of a coarser
# zoom than the map's mean a view needs only a handful of requests.
OUTLINE_LEVELS = (
    (0, 1000.0, 3, 6),
    (9, 200.0, 3, 8),
    (11, 50.0, 4, 10),
    (13, 10.0, 5, 12),
)


def outline_level(zoom: int) -> int:
    """Return the index into OUTLINE_LEVELS for a map zoom."""
    level = 0
    for i, (lowest, *_rest) in enumerate(OUTLINE_LEVELS):
        if zoom >= lowest:
            level = i
    return level


def check_tile(z: int, x: int, y: int) -> None:
    """Raise ValueError unless z/x/y names a tile."""
    if not 0 <= z <= MAX_ZOOM:
        raise ValueError(f"zoom {z} is outside 0 to {MAX_ZOOM}")
    if not (0 <= x < 2**z and 0 <= y < 2**z):
        raise ValueError(f"tile {x}/{y} does not exist at zoom {z}")


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Return (min lon, min lat, max lon, max lat) of a tile."""
    n = 2**z

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y)


def cell_size(level: int) -> tuple[float, float]:
    """Return (degrees of longitude, degrees of latitude) of a cluster cell at a map zoom.

    About 64 screen pixels each way at British latitudes: 4 x 4 cells to a 256-pixel tile.
    """
    dx = 360.0 / 2 ** (level + 2)
    return dx, dx * 0.6
