"""The layout the README promises, checked on every import statement (function-level ones too):
`api → calendar_sync → scheduler ← constraints`, `scheduler/model.py` imports nothing of ours, no
calendar back-end imports another, and nothing installed imports `bench`."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("scheduler", "constraints", "calendar_sync", "api", "bench")
ALLOWED: dict[str, set[str]] = {
    "scheduler": {"scheduler"},
    "constraints": {"constraints", "scheduler"},
    "calendar_sync": {"calendar_sync", "scheduler"},
    "api": {"api", "calendar_sync", "scheduler", "constraints"},
    "bench": set(OURS),
}
SOLVING = ("scheduler.replan", "scheduler.solve", "scheduler.build")
"""What calendar_sync must not import: it renders and delivers plans, it does not make them."""


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def _where(path: Path, line: int, name: str) -> str:
    return f"{path.relative_to(ROOT)}:{line} imports {name}"


@pytest.mark.parametrize("package", OURS)
def test_imports_point_one_way(package: str) -> None:
    wrong = [
        _where(path, line, name)
        for path in _modules(package)
        for line, name in _imports(path)
        if name.split(".")[0] in OURS and name.split(".")[0] not in ALLOWED[package]
    ]
    assert wrong == []


def test_model_imports_nothing_of_ours() -> None:
    path = ROOT / "scheduler" / "model.py"
    assert [_where(path, line, n) for line, n in _imports(path) if n.split(".")[0] in OURS] == []


def test_calendar_sync_does_not_solve() -> None:
    wrong = [
        _where(path, line, name)
        for path in _modules("calendar_sync")
        for line, name in _imports(path)
        if name.startswith(SOLVING)
    ]
    assert wrong == []


def test_no_backend_imports_another() -> None:
    backends = ROOT / "calendar_sync" / "backends"
    wrong = []
    for path in sorted(backends.glob("*.py")):
        for line, name in _imports(path):
            other = name.removeprefix("calendar_sync.backends.")
            if other != name and other not in ("base", path.stem):
                wrong.append(_where(path, line, name))
    assert wrong == []
