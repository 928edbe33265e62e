"""Each package's ``__all__`` is exactly its public surface."""

from __future__ import annotations

import importlib
import types

import pytest

PACKAGES = (
    "hub",
    "hub.api",
    "hub.audit",
    "hub.delivery",
    "hub.intake",
    "hub.routing",
    "hub.sharing",
    "hub.db",
    "hub.stores",
    "hub.crypto",
    "adapters",
    "adapters.police",
    "adapters.children_services",
    "adapters.adult_services",
    "adapters.education",
    "schemas",
    "protocols",
)


@pytest.mark.parametrize("name", PACKAGES)
def test_every_name_in_all_exists(name: str) -> None:
    """Every name a package lists in ``__all__`` can be imported from it."""
    package = importlib.import_module(name)

    assert package.__all__, f"{name} has an empty __all__"
    missing = [member for member in package.__all__ if not hasattr(package, member)]
    assert missing == []


@pytest.mark.parametrize("name", PACKAGES)
def test_all_has_no_duplicates(name: str) -> None:
    """A package lists each exported name once."""
    exported = importlib.import_module(name).__all__

    assert len(exported) == len(set(exported))


@pytest.mark.parametrize("name", PACKAGES)
def test_every_public_attribute_is_listed_in_all(name: str) -> None:
    """A public, non-submodule attribute of a package is part of its declared ``__all__``."""
    package = importlib.import_module(name)
    public = {
        member
        for member, value in vars(package).items()
        if not member.startswith("_") and not isinstance(value, types.ModuleType)
    }

    assert sorted(public - set(package.__all__)) == []
