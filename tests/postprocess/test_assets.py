from importlib import resources

from postprocess.layouts import LAYOUTS, MAPS, alpha_map


def test_every_map_a_layout_uses_ships_with_its_licence():
    assets = resources.files("postprocess") / "assets"
    assert "MIT" in (assets / "LICENSE").read_text()
    assert (assets / "manifest.json").is_file()
    for name in MAPS:
        alpha = alpha_map(name)
        assert alpha.dtype.name == "float32" and alpha.min() >= 0 and alpha.max() < 0.6
    assert {layout.map for layout in LAYOUTS} <= set(MAPS)
    for layout in LAYOUTS:
        assert alpha_map(layout.map).shape == (layout.size, layout.size)
