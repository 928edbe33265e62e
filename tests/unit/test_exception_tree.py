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
