"""The layers point one way: web → scans → archive → layouts → signing → records; nothing imports web."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["records", "signing", "layouts", "archive", "scans", "web"]  # bottom to top


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", LAYERS)
def test_package_imports_only_layers_below(package: str) -> None:
    allowed = set(LAYERS[: LAYERS.index(package) + 1])
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = (_imports(path) & set(LAYERS)) - allowed
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not offenders, "layering broken:\n" + "\n".join(offenders)


def test_templates_never_reach_the_database() -> None:
    """Typst templates get a plain document; they read no database or files but their own."""
    for path in (ROOT / "layouts").rglob("*.typ"):
        text = path.read_text(encoding="utf-8")
        assert "sqlite" not in text.lower() and "postgres" not in text.lower(), path
