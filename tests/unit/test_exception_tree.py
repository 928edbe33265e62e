"""The exception tree drawn in ``hub/_exceptions.py`` is the whole tree the hub raises."""

from __future__ import annotations

import importlib
import pkgutil

import hub
from hub import HubError

TREE = importlib.import_module(HubError.__module__)  # the module the tree is drawn in


def _every_hub_module() -> None:
    for module in pkgutil.walk_packages(hub.__path__, "hub."):
        if ".migrations" not in module.name and not module.name.endswith("__main__"):
            importlib.import_module(module.name)


def _subclasses(cls: type[HubError]) -> set[type[HubError]]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def test_every_error_of_the_hub_is_drawn_in_the_tree() -> None:
    """Each HubError subclass anywhere in the hub is named in the drawing, with its status."""
    _every_hub_module()
    drawing = TREE.__doc__ or ""
    classes = {cls for cls in _subclasses(HubError) if cls.__module__.startswith("hub.")}

    missing = sorted(c.__name__ for c in classes if f"── {c.__name__} " not in drawing)
    assert missing == []
    for cls in classes:
        line = next(row for row in drawing.splitlines() if f"── {cls.__name__} " in row)
        assert str(cls.status_hint) in line, cls.__name__


def test_every_error_is_defined_in_the_tree_module_with_a_docstring() -> None:
    """The tree lives in one module, and each class says in its own docstring what it means."""
    _every_hub_module()
    for cls in {HubError, *_subclasses(HubError)}:
        assert cls.__module__ == TREE.__name__, cls.__name__
        assert cls.__dict__.get("__doc__"), f"{cls.__name__} has no docstring of its own"


def _drawn_parents(drawing: str) -> dict[str, str]:
    """Class name -> the name of the class it is drawn under, read off the indentation."""
    parents: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for row in drawing.splitlines():
        if "── " not in row and row.strip() != "HubError":
            continue
        name = row.split("── ", 1)[1].split()[0] if "── " in row else "HubError"
        depth = row.index("── ") if "── " in row else -1
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            parents[name] = stack[-1][1]
        stack.append((depth, name))
    return parents


def test_every_error_has_the_parent_it_is_drawn_under() -> None:
    """Whose fault an error is (peer or service) is what the drawing says: the bases match it."""
    _every_hub_module()
    parents = _drawn_parents(TREE.__doc__ or "")
    classes = {cls for cls in _subclasses(HubError) if cls.__module__.startswith("hub.")}

    assert {cls.__name__: cls.__bases__[0].__name__ for cls in classes} == parents
