"""The package map in the README holds: each room imports only what its row allows, and no
module imports another package's private (``_name``) module.

A private module ``a.b._c`` may be imported only from inside package ``a.b`` (``a.b`` itself or
a module below it). Everyone else goes through the package's ``__all__``. One exception, and it
is deliberate: the known-answer and tamper tests of ``hub.crypto`` drive its private primitives
and codecs, which no production caller may touch.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("hub", "schemas", "protocols", "adapters", "tests", "bench")
# importer package prefix -> the package whose privates it may also import
WHITE_BOX = {"tests.unit.crypto": "hub.crypto"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_private(part: str) -> bool:
    return part.startswith("_") and not part.startswith("__")


def _imported(tree: ast.AST, path: Path) -> Iterator[tuple[int, str]]:
    """Every module path imported by the file at ``path``, relative imports resolved, and
    ``from pkg import _module`` counted as importing ``pkg._module``."""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            yield node.lineno, module
            for alias in node.names:
                if _is_private(alias.name):
                    yield node.lineno, f"{module}.{alias.name}"


def _owner(module: str) -> str | None:
    """The package a private module belongs to (``a.b`` for ``a.b._c.d``), or None if public."""
    parts = module.split(".")
    for index, part in enumerate(parts):
        if _is_private(part):
            return ".".join(parts[:index])
    return None


def _inside(importer: str, package: str) -> bool:
    return importer == package or importer.startswith(package + ".")


def _may_import(importer: str, owner: str) -> bool:
    if _inside(importer, owner):
        return True
    return any(
        _inside(importer, prefix) and owner == allowed for prefix, allowed in WHITE_BOX.items()
    )


def violations(files: list[Path]) -> list[str]:
    """``file:line: importer imports module`` for every private import across a boundary."""
    found = []
    for path in files:
        importer = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, module in _imported(tree, path):
            owner = _owner(module)
            if owner and owner.partition(".")[0] in SCANNED and not _may_import(importer, owner):
                found.append(f"{path.relative_to(ROOT)}:{line}: {importer} imports {module}")
    return found


def _python_files() -> list[Path]:
    return sorted(
        path
        for top in SCANNED
        if (ROOT / top).is_dir()
        for path in (ROOT / top).rglob("*.py")
        if "migrations" not in path.parts
    )


def test_no_module_imports_another_packages_private_module() -> None:
    """Across hub, schemas, protocols, adapters, tests and bench, privates stay in their room."""
    assert violations(_python_files()) == []


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ("from hub.sharing._decide import decide", True),
        ("import hub.sharing._decide", True),
        ("from hub.sharing import _decide", True),
        ("from hub.sharing import decide", False),
        ("from hub._exceptions import HubError", False),  # hub.routing is inside hub
        ("from ..crypto._material import KeyMaterial", True),
        ("from ..crypto import _material", True),
        ("from . import _router", False),
        ("from ._router import Router", False),
    ],
)
def test_the_check_sees_every_form_of_import(tmp_path: Path, source: str, flagged: bool) -> None:
    """The scanner flags each spelling of a cross-package private import, and nothing else."""
    path = ROOT / "hub" / "routing" / "_probe_never_written.py"
    tree = ast.parse(source)
    importer = _module_name(path)
    found = [
        module
        for _, module in _imported(tree, path)
        if (owner := _owner(module)) and not _may_import(importer, owner)
    ]

    assert bool(found) is flagged


# --- the README's package map ---------------------------------------------------------------

ANY = frozenset({"*"})
EVERYWHERE = frozenset({"hub._exceptions"})  # the one exception tree
_ROW = re.compile(r"^\| `([a-z_.]+)` \|[^|]*\|([^|]*)\|$")


def package_map() -> dict[str, frozenset[str]]:
    """Room -> the rooms it may import, as the README's table says."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### The package map", 1)[1].split("\n## ", 1)[0]
    rooms: dict[str, frozenset[str]] = {}
    for line in section.splitlines():
        match = _ROW.match(line.strip())
        if match:
            allowed = match.group(2).strip()
            rooms[match.group(1)] = (
                ANY if allowed == "any room" else frozenset(re.findall(r"`([a-z_.]+)`", allowed))
            )
    return rooms


def _room_of(module: str, rooms: dict[str, frozenset[str]]) -> str | None:
    """The longest room name that ``module`` is, or is inside (``hub`` is its ``__init__``)."""
    candidates = [
        room for room in rooms if module == room or (room != "hub" and _inside(module, room))
    ]
    return max(candidates, key=len) if candidates else None


def _production_files() -> list[Path]:
    return [p for p in _python_files() if p.relative_to(ROOT).parts[0] not in ("tests", "bench")]


def test_the_map_names_every_room_of_the_hub() -> None:
    """Every module of the hub belongs to a room the README's table lists."""
    rooms = package_map()
    unmapped = sorted(
        name
        for name in map(_module_name, _production_files())
        if name not in ("hub.__main__", "hub._exceptions")
        and _room_of(name, rooms) in (None, "hub")
        and name != "hub"
    )

    assert "hub.sharing" in rooms
    assert unmapped == []


def test_each_room_imports_only_what_the_map_allows() -> None:
    """No room imports a room its row in the README does not name."""
    rooms = package_map()
    found = []
    for path in _production_files():
        importer = _module_name(path)
        room = _room_of(importer, rooms)
        if room is None or rooms[room] == ANY:
            continue
        for line, module in _imported(ast.parse(path.read_text(encoding="utf-8")), path):
            if module.partition(".")[0] == "tests":
                found.append(f"{path.relative_to(ROOT)}:{line}: {room} imports {module}")
                continue
            target = _room_of(module, rooms) or (module if module in EVERYWHERE else None)
            if target is None or target == room or target in EVERYWHERE:
                continue
            if target not in rooms[room]:
                found.append(f"{path.relative_to(ROOT)}:{line}: {room} imports {target}")

    assert found == []
