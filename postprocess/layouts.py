"""The catalogue of known watermark layouts and the alpha maps they use.

A layout says which alpha map is blended where (anchored bottom-right) and at what strength.
Google moves the logo every few months; a new layout is one line in `LAYOUTS`.
"""

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from .errors import ConfigError

MAPS = ("48", "96", "96-20260520", "36-v2", "24-preview")  # shipped as assets/alpha_<name>.npy


@dataclass(frozen=True)
class Layout:
    name: str
    map: str  # one of MAPS
    size: int  # logo box side in pixels (the map's side)
    margin: int  # right and bottom margin in pixels
    gain: float = 1.0  # blend strength: a_eff = gain * a
    margin_ref: int | None = None  # margin scales as margin * long_side / margin_ref
    search: int = 0  # also try positions up to this many px off, for approximate margins

    def origin(self, width: int, height: int) -> tuple[int, int]:
        """Top-left corner (x, y) of the logo box on a width x height image."""
        margin = self.margin
        if self.margin_ref:
            margin = round(self.margin * max(width, height) / self.margin_ref)
        return width - margin - self.size, height - margin - self.size


LAYOUTS: tuple[Layout, ...] = (
    Layout("classic_small", "48", 48, 32),
    Layout("classic_large", "96", 96, 64),
    Layout("new_margin", "96-20260520", 96, 192),
    Layout("large_margin_light", "48", 48, 96, gain=0.55),
    Layout("v2_small", "36-v2", 36, 192, margin_ref=2752, search=3),
    Layout("preview", "24-preview", 24, 48, gain=0.55),
    Layout("classic_small_m89", "48", 48, 89),
)


@cache
def alpha_map(name: str) -> np.ndarray:
    """The float32 alpha map `name` (read-only, loaded once)."""
    if name not in MAPS:
        raise KeyError(f"unknown alpha map {name!r}; shipped maps: {', '.join(MAPS)}")
    with (resources.files(__package__) / "assets" / f"alpha_{name}.npy").open("rb") as f:
        alpha = np.load(f).astype(np.float32, copy=False)
    alpha.setflags(write=False)
    return alpha


def select_layouts(entries: list[str | dict[str, Any]] | None) -> tuple[Layout, ...]:
    """The catalogue (None), or a subset by name plus extra layouts given as dicts."""
    if entries is None:
        return LAYOUTS
    known = {layout.name: layout for layout in LAYOUTS}
    chosen: list[Layout] = []
    for entry in entries:
        if isinstance(entry, str):
            if entry not in known:
                raise ConfigError(f"unknown watermark layout {entry!r}; known: {list(known)}")
            chosen.append(known[entry])
            continue
        try:
            layout = Layout(**entry)
        except TypeError as exc:
            raise ConfigError(f"bad watermark layout {entry!r}: {exc}") from None
        if layout.map not in MAPS or alpha_map(layout.map).shape != (layout.size, layout.size):
            raise ConfigError(
                f"layout {layout.name!r}: map must be one of {MAPS} and match size {layout.size}"
            )
        chosen.append(layout)
    return tuple(chosen)
