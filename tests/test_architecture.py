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


#: layouts/ modules that may import SQLAlchemy, and the only names they may take from it: the print
#: batch and the print run open their own units of work (an engine per worker, a session per task),
#: but every query is a records/ service (records.books.*, records.services.*). Reading a book's
#: contents goes through the read services of records/books, which check the actor's read right.
LAYOUTS_SQLALCHEMY_ALLOWED: dict[str, set[str]] = {
    "layouts/batch.py": {"Engine", "Session"},
    "layouts/printrun.py": {"Session"},
}


def _runtime_sqlalchemy_imports(path: Path) -> set[str]:
    """Names a module imports from sqlalchemy at run time (``if TYPE_CHECKING:`` blocks, which only
    name types for the checker, are left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(n) for child in node.body for n in ast.walk(child))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(f"import {a.name}" for a in node.names if a.name.split(".")[0] == "sqlalchemy")
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "sqlalchemy":
            found.update(a.name for a in node.names)
    return found


def test_layouts_read_the_database_only_through_records_services() -> None:
    """No layouts/ module builds a query: the books' loaders are records/books read services."""
    offenders = []
    for path in sorted((ROOT / "layouts").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        extra = _runtime_sqlalchemy_imports(path) - LAYOUTS_SQLALCHEMY_ALLOWED.get(rel, set())
        if extra:
            offenders.append(f"{rel} imports {sorted(extra)} from sqlalchemy")
    assert not offenders, "layouts/ must not query the database:\n" + "\n".join(offenders)
    for rel in LAYOUTS_SQLALCHEMY_ALLOWED:  # the allow-list names modules that exist
        assert (ROOT / rel).is_file(), rel
