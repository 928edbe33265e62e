"""``hub.crypto`` exports exactly its ``__all__``, and each module stays one readable concept."""

from __future__ import annotations

import types
from pathlib import Path

import hub.crypto

MODULES = sorted(Path(hub.crypto.__file__).parent.glob("*.py"))


def test_all_names_exist_once() -> None:
    """Every name in ``hub.crypto.__all__`` exists, once."""
    exported = hub.crypto.__all__

    assert [name for name in exported if not hasattr(hub.crypto, name)] == []
    assert len(exported) == len(set(exported))


def test_every_public_attribute_is_in_all() -> None:
    """No public, non-module attribute of ``hub.crypto`` is missing from ``__all__``."""
    public = {
        name
        for name, value in vars(hub.crypto).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }

    assert sorted(public - set(hub.crypto.__all__)) == []


def test_modules_are_50_to_400_lines_with_a_docstring() -> None:
    """Each module of the package is 50-400 lines and opens with a docstring stating its rules."""
    for path in MODULES:
        text = path.read_text(encoding="utf-8")
        assert 50 <= len(text.splitlines()) <= 400, path.name
        assert text.startswith('"""'), path.name
