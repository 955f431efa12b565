import ast
from importlib import resources
from pathlib import Path

import postprocess
from postprocess.layouts import LAYOUTS, MAPS, alpha_map

PACKAGE = Path(postprocess.__file__).parent


def test_postprocess_never_imports_the_proxy_or_providers():
    for source in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in ("proxy", "providers"), f"{source}: {name}"


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
