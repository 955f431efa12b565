"""The catalogue of known watermark layouts and the alpha maps they use.

A layout says which alpha map is blended where (anchored bottom-right) and at what strength.
Google moves the logo every few months; a new layout is one line in `LAYOUTS`. The rows follow
the layouts table of the team's watermark spec; where each came from is in `source` and in
assets/manifest.json.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from .errors import PipelineConfigError

if TYPE_CHECKING:
    import numpy as np

# Shipped as assets/alpha_<name>.npy.
MAPS = ("48", "96", "96-20260520", "36-v2", "24-preview", "48-v2-still")
# The Gemini 3.6 mark is the classic map at this strength: the least-squares scale of
# assets/alpha_48-v2-still.npy (an average of 10 real 3.6 captures) on alpha_48.npy, NCC 0.99988.
V2_STRENGTH = 0.5946
V2_HALF_SCALE_SIZES = ((896, 1200), (1200, 896), (1376, 768), (768, 1376), (1024, 1024))


@dataclass(frozen=True)
class Layout:
    name: str
    map: str  # one of MAPS
    size: int  # logo box side in pixels (the map's side)
    margin: int  # right and bottom margin in pixels
    gain: float = 1.0  # blend strength: a_eff = gain * a
    margin_ref: int | None = None  # margin scales as margin * long_side / margin_ref
    search: int = 0  # also try positions up to this many px off, for approximate margins
    # Ranking hints: substrings of the model ids that draw it, image sizes (w, h) it is seen at.
    models: tuple[str, ...] = ()
    sizes: tuple[tuple[int, int], ...] = ()
    source: str = ""  # where the layout was seen or measured

    def expected(self, width: int, height: int, model: str | None) -> bool:
        """Whether the image's model or size says this layout is the likely one."""
        if model and any(part in model.lower() for part in self.models):
            return True
        return (width, height) in self.sizes

    def origin(self, width: int, height: int) -> tuple[int, int]:
        """Top-left corner (x, y) of the logo box on a width x height image."""
        margin = self.margin
        if self.margin_ref:
            margin = round(self.margin * max(width, height) / self.margin_ref)
        return width - margin - self.size, height - margin - self.size


LAYOUTS: tuple[Layout, ...] = (
    Layout("classic_small", "48", 48, 32, source="spec: both sides <= 1024"),
    Layout(
        "classic_large",
        "96",
        96,
        64,
        models=("3.1",),
        sizes=((2400, 1792), (1792, 2400)),
        source="spec: both sides > 1024; real 2400x1792 Gemini 3.1 Pro outputs (shared/real)",
    ),
    Layout("new_margin", "96-20260520", 96, 192, source="spec: 2816x1536 from May 2026"),
    Layout(
        "large_margin_light",
        "48",
        48,
        96,
        gain=V2_STRENGTH,
        models=("3.6",),
        sizes=V2_HALF_SCALE_SIZES,
        source="spec (gain estimated there at 0.55); the Gemini 3.6 still mark, 48 px at 96/96 "
        "on 896x1200 and the half-scale free-tier sizes; gain from 10 real captures",
    ),
    Layout(
        "v2_large",
        "96",
        96,
        64,
        gain=V2_STRENGTH,
        models=("3.6",),
        sizes=((2752, 1536), (1536, 2752), (1792, 2400), (2400, 1792), (2048, 2048)),
        source="issue 14: the 3.6 mark at full scale, 96 px at 64/64; strength assumed that of "
        "the 48 px capture (no 96 px capture yet), the gain fit corrects it per image",
    ),
    Layout(
        "v2_small",
        "36-v2",
        36,
        192,
        margin_ref=2752,
        search=3,
        source="spec: some 1K outputs",
    ),
    Layout("preview", "24-preview", 24, 48, gain=0.55, source="spec: half-scale previews"),
    Layout("classic_small_m89", "48", 48, 89, source="spec: 48 at 89/89 on 2752x1536"),
)


@cache
def alpha_map(name: str) -> np.ndarray:
    """The float32 alpha map `name` (read-only, loaded once)."""
    import numpy as np  # here, not at the top: the catalogue alone is read at start-up

    if name not in MAPS:
        raise KeyError(f"unknown alpha map {name!r}; shipped maps: {', '.join(MAPS)}")
    with (resources.files(__package__) / "assets" / f"alpha_{name}.npy").open("rb") as f:
        alpha = np.load(f).astype(np.float32, copy=False)
    alpha.setflags(write=False)
    return alpha  # type: ignore[no-any-return]


def select_layouts(entries: list[str | dict[str, Any]] | None) -> tuple[Layout, ...]:
    """The catalogue (None), or a subset by name plus extra layouts given as dicts."""
    if entries is None:
        return LAYOUTS
    known = {layout.name: layout for layout in LAYOUTS}
    chosen: list[Layout] = []
    for entry in entries:
        if isinstance(entry, str):
            if entry not in known:
                raise PipelineConfigError(
                    f"unknown watermark layout {entry!r}; known: {list(known)}"
                )
            chosen.append(known[entry])
            continue
        try:
            layout = Layout(**entry)
        except TypeError as exc:
            raise PipelineConfigError(f"bad watermark layout {entry!r}: {exc}") from None
        if layout.map not in MAPS or alpha_map(layout.map).shape != (layout.size, layout.size):
            raise PipelineConfigError(
                f"layout {layout.name!r}: map must be one of {MAPS} and match size {layout.size}"
            )
        chosen.append(layout)
    return tuple(chosen)
