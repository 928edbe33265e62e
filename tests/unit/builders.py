"""Shared builders for synthetic test data: notifications, protocols and identifiers.

Every value here is synthetic. Builders return plain dicts (the JSON a publisher would post) so
a test can break any part of them before parsing.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from stdnum.gb import nhs, upn

from hub.sharing import ActivePlacement, RoutingState
from protocols import Protocol, load_protocol
from schemas import CATALOGUE, source_for_agency

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PATH = REPO_ROOT / "docs" / "examples" / "missing-episode-started.json"
CATALOGUE_PATH = REPO_ROOT / "docs" / "notifications.md"
PROTOCOL_PATH = REPO_ROOT / "protocols" / "northumberland.yaml"

STARTED = "uk.sehub.missing_episode.started.v1"
ENDED = "uk.sehub.missing_episode.ended.v1"

POLICE = "northumbria-police"
CHILDRENS = "northumberland-childrens"
ADULTS = "northumberland-adults"
EDUCATION = "northumberland-education"
NEWCASTLE = "newcastle-childrens"
DURHAM = "durham-childrens"
DURHAM_POLICE = "durham-constabulary"

NORTHUMBERLAND_LA = "929"
NEWCASTLE_LA = "391"
DURHAM_LA = "840"

# The builders' parties, as protocol documents declare them: councils carry their LA code, a
# police force the LA areas it covers. Northumbria Police covers Northumberland and Newcastle.
PARTY_DOCS: dict[str, dict[str, Any]] = {
    POLICE: {
        "id": POLICE,
        "name": "Northumbria Police (synthetic)",
        "kind": "police",
        "areas": [NORTHUMBERLAND_LA, NEWCASTLE_LA],
    },
    CHILDRENS: {
        "id": CHILDRENS,
        "name": "Northumberland children's services (synthetic)",
        "kind": "children_services",
        "la_code": NORTHUMBERLAND_LA,
    },
    ADULTS: {
        "id": ADULTS,
        "name": "Northumberland adult social care (synthetic)",
        "kind": "adult_services",
        "la_code": NORTHUMBERLAND_LA,
    },
    EDUCATION: {
        "id": EDUCATION,
        "name": "Northumberland education (synthetic)",
        "kind": "education",
        "la_code": NORTHUMBERLAND_LA,
    },
    NEWCASTLE: {
        "id": NEWCASTLE,
        "name": "Newcastle children's services (synthetic)",
        "kind": "children_services",
        "la_code": NEWCASTLE_LA,
    },
    DURHAM: {
        "id": DURHAM,
        "name": "Durham children's services (synthetic)",
        "kind": "children_services",
        "la_code": DURHAM_LA,
    },
    DURHAM_POLICE: {
        "id": DURHAM_POLICE,
        "name": "Durham Constabulary (synthetic)",
        "kind": "police",
        "areas": [DURHAM_LA],
    },
}

# The id key of the adapters under test (a hub derives one per agency from its pseudonym key).
ADAPTER_ID_KEY = b"synthetic-adapter-id-key-32bytes"
assert len(ADAPTER_ID_KEY) == 32

VALID_NHS_NUMBER = "9434765919"
VALID_UPN = "H801200001001"

NOW = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)

# Each rule's and clock's lawful basis cites both beside its statute (lawful-basis-incomplete).
GDPR_BASIS = (
    "UK GDPR Art 6(1)(e) (public task)",
    "UK GDPR Art 9(2)(g) (substantial public interest)",
)


def nhs_number_from(prefix: str) -> str | None:
    """The valid NHS number that starts with these nine digits, if a check digit exists."""
    assert len(prefix) == 9
    assert prefix.isdigit()
    for digit in "0123456789":
        candidate = prefix + digit
        if nhs.is_valid(candidate):
            return candidate
    return None


def valid_nhs_numbers() -> Iterator[str]:
    """An endless supply of distinct valid synthetic NHS numbers."""
    counter = 943_476_591
    while True:
        counter += 1
        found = nhs_number_from(str(counter))
        if found is not None:
            yield found


def upn_from(la_code: int, serial: str) -> str:
    """A valid UPN for this LA code and 9-character remainder (check letter computed)."""
    body = f"{la_code:03d}{serial}"
    assert len(body) == 12
    candidate = upn.calc_check_digit(body) + body
    assert upn.is_valid(candidate)
    return candidate


def example_event() -> dict[str, Any]:
    """The shipped example notification (missing episode started, from children's services)."""
    document: dict[str, Any] = json.loads(EXAMPLE_PATH.read_text(encoding="utf-8"))
    return document


def _merge(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def make_event(**overrides: Any) -> dict[str, Any]:
    """A valid 'missing episode started' event; mapping overrides merge into nested mappings."""
    base: dict[str, Any] = {
        "specversion": "1.0",
        "id": "test-missing-0001",
        "source": source_for_agency(CHILDRENS),
        "type": STARTED,
        "time": "2026-11-28T21:40:00Z",
        "datacontenttype": "application/json",
        "episodeid": "MIS-TEST-0001",
        "data": {
            "person": {
                "local_id": "CHILD-000123",
                "nhs_number": VALID_NHS_NUMBER,
                "upn": VALID_UPN,
                "date_of_birth": "2011-05-04",
                "sex": "F",
                "resident_la": NORTHUMBERLAND_LA,
                "responsible_la": NORTHUMBERLAND_LA,
            },
            "missing_type": "missing",
            "looked_after": True,
            "started_on": "2026-11-28",
            "started_at": "2026-11-28T21:15:00Z",
            "risk_level": "high",
            "last_seen_location": "Synthetic Street bus station",
        },
    }
    return _merge(base, overrides)


def make_ended_event(**overrides: Any) -> dict[str, Any]:
    """A valid 'missing episode ended' event; mapping overrides merge into nested mappings."""
    base: dict[str, Any] = {
        "specversion": "1.0",
        "id": "test-missing-0002",
        "source": source_for_agency(CHILDRENS),
        "type": ENDED,
        "time": "2026-11-30T09:05:00Z",
        "datacontenttype": "application/json",
        "episodeid": "MIS-TEST-0001",
        "data": {
            "person": {
                "local_id": "CHILD-000123",
                "nhs_number": VALID_NHS_NUMBER,
                "upn": VALID_UPN,
                "date_of_birth": "2011-05-04",
                "sex": "F",
                "resident_la": NORTHUMBERLAND_LA,
            },
            "missing_type": "missing",
            "looked_after": True,
            "started_on": "2026-11-28",
            "ended_on": "2026-11-30",
            "ended_at": "2026-11-30T08:50:00Z",
            "end_reason": "returned",
            "return_interview_due": "2026-12-03T08:50:00Z",
            "found_location": "Synthetic Park",
        },
    }
    return _merge(base, overrides)


def placed_in(host_la: str, *, placing_la: str = NORTHUMBERLAND_LA) -> RoutingState:
    """Routing state for a child with one active out-of-area placement in ``host_la``."""
    return RoutingState(placements=(ActivePlacement("PL-TEST-0001", placing_la, host_la),))


DELETE = object()  # a change value that removes the key


def documented_examples() -> list[dict[str, Any]]:
    """Every example in docs/notifications.md, one per catalogue type, as fresh dicts."""
    text = CATALOGUE_PATH.read_text(encoding="utf-8")
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, flags=re.S)]


def _drop_optional(model: Any, value: Any, draw: st.DrawFn) -> Any:
    """Recursively drop optional fields of ``value`` (a dict for ``model``) at random."""
    if not isinstance(value, dict) or not hasattr(model, "model_fields"):
        return value
    result = {}
    for name, item in value.items():
        info = model.model_fields.get(name)
        if info is None:
            result[name] = item
            continue
        if not info.is_required() and draw(st.booleans()):
            continue
        nested = info.annotation
        nested_model = (
            nested if isinstance(nested, type) and hasattr(nested, "model_fields") else None
        )
        result[name] = _drop_optional(nested_model, item, draw) if nested_model else item
    return result


@st.composite
def generated_notifications(draw: st.DrawFn) -> dict[str, Any]:
    """A documented example of any type with optional fields dropped at random and a new id.

    Dropping a field a cross-field rule needs can make it invalid; callers ``assume`` it parses.
    """
    example = draw(st.sampled_from(documented_examples()))
    model = CATALOGUE[example["type"]]
    event: dict[str, Any] = _drop_optional(model, example, draw)
    event["id"] = draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,40}", fullmatch=True))
    return event


def documented_example(type_name: str, **changes: Any) -> dict[str, Any]:
    """The example in docs/notifications.md for ``uk.sehub.<type_name>.v1``, with changes.

    A change's key is a path with ``__`` between parts (``data__person__upn``); its value
    replaces the one there, or removes it when it is ``DELETE``.
    """
    blocks = documented_examples()
    (event,) = [block for block in blocks if block["type"] == f"uk.sehub.{type_name}.v1"]
    for path, value in changes.items():
        node = event
        *parents, leaf = path.split("__")
        for part in parents:
            node = node[part]
        if value is DELETE:
            del node[leaf]
        else:
            node[leaf] = copy.deepcopy(value)
    result: dict[str, Any] = event
    return result


def make_rule(**overrides: Any) -> dict[str, Any]:
    """A valid protocol rule as a dict (recipients may be party ids or ``{"role": ...}``)."""
    rule: dict[str, Any] = {
        "id": "rule-a",
        "types": [STARTED, ENDED],
        "publishers": [CHILDRENS],
        "recipients": [POLICE],
        "fields": ["data.person"],
        "purpose": "Synthetic test purpose.",
        "lawful_basis": [*GDPR_BASIS, "Synthetic Act 2000 s1"],
        "acknowledge_within": "1h",
        "retention": "P1Y",
    }
    rule.update(overrides)
    return rule


RETURN_INTERVIEW = "uk.sehub.return_interview.recorded.v1"


def make_ladder(**overrides: Any) -> dict[str, Any]:
    """A valid escalation ladder as a dict: the duty team after 30m, a manager 1h later."""
    ladder: dict[str, Any] = {
        "id": "ladder-a",
        "description": "Synthetic ladder.",
        "steps": [
            {"after": "30m", "to": "recipient", "addressed_to": "duty-team"},
            {
                "after": "1h",
                "to": "recipient",
                "addressed_to": "named-manager",
                "notify_sender": True,
            },
        ],
    }
    ladder.update(overrides)
    return ladder


def make_clock(**overrides: Any) -> dict[str, Any]:
    """A valid return-interview clock as a dict (children's services start and stop it)."""
    clock: dict[str, Any] = {
        "id": "clock-a",
        "description": "Synthetic clock.",
        "starts_on": {
            "types": [ENDED],
            "publishers": [CHILDRENS],
            "when": {"match": {"data.end_reason": ["found", "returned"]}},
        },
        "due": {"field": "data.return_interview_due"},
        "stops_on": {
            "types": [RETURN_INTERVIEW],
            "publishers": [CHILDRENS],
            "episode": "data.episode_ref",
        },
        "recipients": [{"role": "responsible_authority"}, POLICE],
        "fields": ["data.person.upn", "data.ended_on", "data.return_interview_due"],
        "purpose": "Synthetic clock purpose.",
        "lawful_basis": [*GDPR_BASIS, "Synthetic Act 2000 s2"],
        "retention": "P1Y",
    }
    clock.update(overrides)
    return clock


def make_protocol_dict(*rules: Mapping[str, Any], **overrides: Any) -> dict[str, Any]:
    """A valid protocol document as a dict (defaults to one rule from ``make_rule``)."""
    document: dict[str, Any] = {
        "id": "test-protocol",
        "title": "Synthetic test protocol",
        "version": "0.0.1",
        "content_hash": "0123456789abcdef" * 4,
        "parties": [copy.deepcopy(party) for party in PARTY_DOCS.values()],
        "rules": [dict(rule) for rule in rules] if rules else [make_rule()],
    }
    document.update(overrides)
    return document


def make_protocol(*rules: Mapping[str, Any], **overrides: Any) -> Protocol:
    """A validated :class:`Protocol` built from rule dicts."""
    return Protocol.model_validate(make_protocol_dict(*rules, **overrides))


def leaf_paths(node: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> set[str]:
    """Every dotted leaf path in a JSON-like mapping (an empty mapping counts as a leaf)."""
    leaves: set[str] = set()
    for key, value in node.items():
        path = (*prefix, key)
        if isinstance(value, Mapping) and value:
            leaves |= leaf_paths(value, path)
        else:
            leaves.add(".".join(path))
    return leaves


# --- the partnership protocol (issue 11): shipped parties, named parties, routing state --------
#
# Helpers for tests of decide() against the partnership's own parties. Kept apart from the
# builders above, whose seven synthetic parties other tests rely on.


@cache
def shipped_protocol() -> Protocol:
    """The shipped partnership protocol, loaded once (it is frozen)."""
    return load_protocol(PROTOCOL_PATH)


def documented_from(party: str, type_name: str, **changes: Any) -> dict[str, Any]:
    """The documented example of ``uk.sehub.<type_name>.v1``, published by ``party``.

    ``changes`` are as for :func:`documented_example` (``data__person__resident_la="394"``).
    """
    return documented_example(type_name, source=source_for_agency(party), **changes)


def placed(placing_la: str, host_la: str | None, episode: str = "PL-TEST-0001") -> RoutingState:
    """Routing state for a child with one active placement by ``placing_la`` in ``host_la``."""
    return RoutingState(placements=(ActivePlacement(episode, placing_la, host_la),))


def partnership_protocol(
    *rules: Mapping[str, Any], extra_parties: tuple[Mapping[str, Any], ...] = (), **overrides: Any
) -> Protocol:
    """A protocol of ``rules`` over the shipped protocol's parties (with their ids and areas),
    and ``extra_parties`` (party documents) after them."""
    parties = [
        party.model_dump(mode="json", exclude_defaults=True) for party in shipped_protocol().parties
    ]
    parties.extend(dict(party) for party in extra_parties)
    return make_protocol(*rules, parties=parties, **overrides)


def confidential_placement(**changes: Any) -> dict[str, Any]:
    """The documented placement started, made confidential: no host, postcode, distance or URN."""
    return documented_example(
        "placement.started",
        data__confidential=True,
        data__host_la=DELETE,
        data__out_of_area=DELETE,
        data__placement_postcode=DELETE,
        data__distance_miles=DELETE,
        data__urn=DELETE,
        **changes,
    )
