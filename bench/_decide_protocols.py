"""Synthetic protocols and notifications for :mod:`bench.decide`: an England-sized partnership.

Every name, code and id here is synthetic: 152 councils (each a children's, an adult and an
education service, LA codes 201 to 352), 43 police forces and 42 health bodies covering them in
runs, and 111 registered providers, 651 parties in all, with the shipped protocol's own rules,
ladders and clocks (written per kind of party, so they cover every council unchanged).

The protocols of the rules curves add rules of three shapes to those:

* ``none_apply``: other notification types, other publishers; the index never returns them.
* ``candidates``: the benchmark notification's own type and publisher, so the index returns
  them and their conditions are judged, but the conditions do not hold (half match another
  council's residents, half want an adult); each is refused, and the refusal is recorded.
* ``matching``: the notification's type and publisher, no condition, each to its own party:
  every one serves a view, so the cost is that of the views.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import yaml

from protocols import Protocol
from schemas import Notification, parse_notification, source_for_agency

__all__ = [
    "COUNCILS",
    "PUBLISHER",
    "SHAPES",
    "england_parties",
    "england_protocol",
    "notification",
    "with_extra_rules",
    "with_recipients",
]

REPO_ROOT: Final = Path(__file__).resolve().parents[1]
SHIPPED: Final = REPO_ROOT / "protocols" / "northumberland.yaml"
EXAMPLE: Final = REPO_ROOT / "docs" / "examples" / "missing-episode-started.json"
COUNCILS: Final = 152
FORCES: Final = 43
HEALTH_BODIES: Final = 42
PROVIDERS: Final = 111
STARTED: Final = "uk.sehub.missing_episode.started.v1"
OTHER_TYPES: Final = (
    "uk.sehub.concern.raised.v1",
    "uk.sehub.se_risk.assessed.v1",
    "uk.sehub.placement.started.v1",
    "uk.sehub.education.concern_raised.v1",
)
SHAPES: Final = ("none_apply", "candidates", "matching")
BASIS: Final = (
    "UK GDPR Art 6(1)(e) (public task)",
    "UK GDPR Art 9(2)(g) (substantial public interest)",
    "Children Act 1989 s47 (synthetic citation for the benchmark)",
)


def la_code(council: int) -> str:
    return str(201 + council)


def _council(council: int, kind: str, label: str) -> dict[str, Any]:
    return {
        "id": f"council-{council:03d}-{label}",
        "name": f"Synthetic council {council:03d} {label}",
        "kind": kind,
        "la_code": la_code(council),
    }


def _covering(kind: str, label: str, count: int) -> list[dict[str, Any]]:
    """``count`` parties of ``kind`` whose areas split the councils into runs."""
    return [
        {
            "id": f"{label}-{number:02d}",
            "name": f"Synthetic {label} {number:02d}",
            "kind": kind,
            "areas": [la_code(c) for c in range(COUNCILS) if c * count // COUNCILS == number],
        }
        for number in range(count)
    ]


def england_parties() -> list[dict[str, Any]]:
    """651 synthetic parties as protocol documents declare them."""
    parties: list[dict[str, Any]] = []
    for council in range(COUNCILS):
        parties.append(_council(council, "children_services", "childrens"))
        parties.append(_council(council, "adult_services", "adults"))
        parties.append(_council(council, "education", "education"))
    parties.extend(_covering("police", "police-force", FORCES))
    parties.extend(_covering("health", "health-body", HEALTH_BODIES))
    parties.extend(
        {
            "id": f"provider-{number:03d}",
            "name": f"Synthetic provider {number:03d}",
            "kind": "provider",
            "registered_by": [la_code(number % COUNCILS)],
        }
        for number in range(PROVIDERS)
    )
    return parties


PUBLISHER: Final = "council-000-childrens"


def _document(rules: list[Any] | None = None) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    document["parties"] = england_parties()
    document["content_hash"] = "0123456789abcdef" * 4
    if rules is not None:  # the shipped clocks need the shipped rules
        document["rules"], document["clocks"] = rules, []
    return document


def england_protocol() -> Protocol:
    """The shipped rules, ladders and clocks over the synthetic England partnership."""
    return Protocol.model_validate(_document())


def _rule(number: int, **terms: Any) -> dict[str, Any]:
    return {
        "id": f"bench-rule-{number:04d}",
        "fields": ["data.person.upn", "data.started_on"],
        "purpose": "Synthetic benchmark purpose.",
        "lawful_basis": list(BASIS),
        "retention": "P1Y",
        **terms,
    }


def extra_rule(shape: str, number: int) -> dict[str, Any]:
    """The ``number``-th rule of ``shape`` (see the module's docstring)."""
    other = 1 + number % (COUNCILS - 1)  # never council 000, the publisher's own
    if shape == "none_apply":
        return _rule(
            number,
            types=[OTHER_TYPES[number % len(OTHER_TYPES)]],
            publishers=[f"council-{other:03d}-childrens"],
            recipients=[f"police-force-{number % FORCES:02d}"],
        )
    if shape == "candidates":
        when: dict[str, Any] = (
            {"match": {"data.person.resident_la": la_code(other)}}
            if number % 2
            else {"adult": True}
        )
        return _rule(
            number,
            types=[STARTED],
            publishers=[PUBLISHER],
            recipients=[f"council-{other:03d}-childrens"],
            when=when,
        )
    parties = england_parties()[3:]  # never the publisher's council
    return _rule(
        number,
        types=[STARTED],
        publishers=[PUBLISHER],
        recipients=[parties[number % len(parties)]["id"]],
    )


def with_extra_rules(total: int, shape: str) -> Protocol:
    """The England protocol grown to ``total`` rules with rules of ``shape`` (at least its own)."""
    document = _document()
    own: list[Any] = document["rules"]
    document["rules"] = [*own, *(extra_rule(shape, n) for n in range(max(0, total - len(own))))]
    return Protocol.model_validate(document)


def with_recipients(count: int) -> Protocol:
    """A protocol whose one rule shares the benchmark notification with ``count`` police forces."""
    forces = [f"police-force-{number:02d}" for number in range(count)]
    return Protocol.model_validate(
        _document([_rule(0, types=[STARTED], publishers=[PUBLISHER], recipients=forces)])
    )


def notification() -> Notification:
    """The documented missing episode, from council 000's children's services, about its child."""
    event = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    event["source"] = source_for_agency(PUBLISHER)
    event["data"]["person"]["resident_la"] = la_code(0)
    return parse_notification(event)
