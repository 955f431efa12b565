"""Data flows one way: `proxy` may use `providers` and `postprocess`, never the reverse; within
`proxy`, the shared core never reaches into a capability."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Every folder of proxy/ but the core and the job store (a store the core's config describes).
CAPABILITIES = tuple(
    sorted(
        folder.name
        for folder in (ROOT / "proxy").iterdir()
        if (folder / "__init__.py").is_file() and folder.name not in ("core", "jobs")
    )
)


def _absolute(source: Path, node: ast.ImportFrom) -> str:
    """The module an import names, relative ones resolved against `source`'s package."""
    if node.level == 0:
        return node.module or ""
    package = source.relative_to(ROOT).parent.parts
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imported_modules(package: Path) -> list[tuple[Path, str]]:
    found = []
    for source in package.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                found += [(source, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                found.append((source, _absolute(source, node)))
    return found


@pytest.mark.parametrize("package", ["providers", "postprocess"])
def test_plugins_and_the_image_pipeline_never_import_the_proxy(package: str) -> None:
    imports = imported_modules(ROOT / package)
    assert imports, "no imports found: the walk is broken"
    for source, name in imports:
        assert name.split(".")[0] != "proxy", f"{source}: {name}"


def test_postprocess_knows_no_provider() -> None:
    for source, name in imported_modules(ROOT / "postprocess"):
        assert name.split(".")[0] != "providers", f"{source}: {name}"


def test_the_core_never_imports_a_capability() -> None:
    assert {"chat", "accounts", "anthropic", "console"} <= set(CAPABILITIES)
    imports = imported_modules(ROOT / "proxy" / "core")
    assert any(name.startswith("proxy.core") for _, name in imports)
    for source, name in imports:
        parts = name.split(".")
        assert not (parts[0] == "proxy" and len(parts) > 1 and parts[1] in CAPABILITIES), (
            f"{source}: {name}"
        )
