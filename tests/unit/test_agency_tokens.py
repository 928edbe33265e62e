"""Tokens with scopes, an expiry and a revocation time: the model, and the 401 they share."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import ValidationError

from hub import NotAuthenticated
from hub.agencies import Agency, AgencyDirectory, Token, certificate_fingerprint
from hub.api import ApiDependencies, FailedAuthentications, create_app
from hub.audit import AuditAction
from tests.credentials import token_of
from tests.fakes import FakeAuditLog, FixedClock
from tests.fixtures import example_event

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
LIVE, EXPIRED, REVOKED = "synthetic-live-0001", "synthetic-expired-0001", "synthetic-revoked-0001"


def _police(*tokens: Token) -> Agency:
    return Agency(id="northumbria-police", name="Police", kind="police", tokens=tokens)


@pytest.fixture
def directory() -> AgencyDirectory:
    """Police with a live token, one that expired a second ago, one revoked a second ago."""
    return AgencyDirectory(
        (
            _police(
                token_of(LIVE, token_id="live"),
                token_of(EXPIRED, token_id="expired", expires=NOW - timedelta(seconds=1)),
                token_of(REVOKED, token_id="revoked", revoked=NOW - timedelta(seconds=1)),
            ),
        )
    )


def test_a_live_token_is_its_agency_and_its_token(directory: AgencyDirectory) -> None:
    """A live token authenticates as its agency, with its id and scopes."""
    credential = directory.authenticate(LIVE, now=NOW)

    assert credential.agency.id == "northumbria-police"
    assert (credential.token.id, credential.token.scopes) == ("live", ("post", "inbox"))
    assert credential.allows("post")
    assert not credential.allows("explain")


@pytest.mark.parametrize("token", [EXPIRED, REVOKED, "synthetic-unknown-0001"])
def test_expired_revoked_and_unknown_tokens_are_refused_alike(
    directory: AgencyDirectory, token: str
) -> None:
    """Expired, revoked and unknown tokens raise the same NotAuthenticated with the same text."""
    with pytest.raises(NotAuthenticated) as caught:
        directory.authenticate(token, now=NOW)

    assert caught.value.detail == "the bearer token is not recognised"


def test_a_token_works_until_the_instant_of_its_expiry_or_revocation() -> None:
    """``expires`` and ``revoked`` are the first instants a token is refused."""
    token = token_of(LIVE, expires=NOW, revoked=NOW + timedelta(hours=1))

    assert token.live_at(NOW - timedelta(microseconds=1))
    assert not token.live_at(NOW)
    assert not token_of(LIVE, revoked=NOW).live_at(NOW)


@pytest.mark.parametrize(
    ("kind", "roles", "scopes"),
    [
        ("police", (), ("audit",)),
        ("police", (), ("explain",)),
        ("auditor", ("auditor",), ("audit", "post")),
        ("hub", ("protocol_admin",), ("audit",)),
    ],
    ids=["agency-audit", "agency-explain", "auditor-post", "admin-audit"],
)
def test_scopes_must_fit_the_agencys_roles(
    kind: str, roles: tuple[str, ...], scopes: tuple[str, ...]
) -> None:
    """audit is an auditor's alone, and all an auditor holds; explain is a protocol_admin's."""
    with pytest.raises(ValidationError):
        Agency.model_validate(
            {
                "id": "x",
                "name": "X",
                "kind": kind,
                "roles": roles,
                "tokens": [token_of(LIVE, *scopes).model_dump()],  # type: ignore[arg-type]
            }
        )


@pytest.mark.parametrize(
    "change",
    [
        {"scopes": []},
        {"scopes": ["read"]},
        {"expires": "2027-01-01T00:00:00"},
        {"sha256": "ABC"},
        {"token": "plaintext"},
    ],
    ids=["no-scope", "unknown-scope", "naive-expiry", "bad-hash", "plaintext"],
)
def test_a_malformed_token_entry_is_refused(change: dict[str, object]) -> None:
    """A token entry needs a scope from the list, an aware expiry, a hex hash and no secret."""
    entry = {**token_of(LIVE).model_dump(mode="json"), **change}

    with pytest.raises(ValidationError):
        Token.model_validate(entry)


def test_two_tokens_of_one_agency_may_not_share_an_id() -> None:
    """A token id names one token of its agency, so revoking by id is unambiguous."""
    with pytest.raises(ValidationError, match="unique"):
        _police(token_of(LIVE, token_id="same"), token_of(EXPIRED, token_id="same"))


def test_a_certificate_maps_to_its_agency_and_only_once() -> None:
    """A listed fingerprint names its agency; listing it under two agencies is refused."""
    fingerprint = certificate_fingerprint(b"synthetic DER bytes")
    police = Agency(id="northumbria-police", name="P", kind="police", certificates=(fingerprint,))
    other = Agency(id="durham-constabulary", name="D", kind="police", certificates=(fingerprint,))

    assert AgencyDirectory((police,)).by_certificate(fingerprint) == police
    assert AgencyDirectory((police,)).by_certificate("0" * 64) is None
    with pytest.raises(Exception, match="one agency"):
        AgencyDirectory((police, other))


async def test_over_http_expired_and_revoked_are_the_unknown_tokens_401(
    deps: ApiDependencies,
) -> None:
    """Through the app each refused token gets the same 401 body, and each is counted."""
    audit = FakeAuditLog()
    directory = AgencyDirectory(
        (
            _police(
                token_of(EXPIRED, token_id="expired", expires=NOW - timedelta(seconds=1)),
                token_of(REVOKED, token_id="revoked", revoked=NOW - timedelta(seconds=1)),
            ),
        )
    )
    clock = FixedClock(NOW)
    wired = replace(
        deps, agencies=directory, clock=clock, failed_auth=FailedAuthentications(audit, clock)
    )
    bodies = []
    async with TestClient(TestServer(create_app(wired))) as client:
        for token in (EXPIRED, REVOKED, "synthetic-unknown-0001"):
            response = await client.post(
                "/v1/notifications",
                json=example_event(),
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status == 401
            body = await response.json(content_type=None)
            bodies.append({k: v for k, v in body.items() if k != "correlation_id"})

    assert bodies[0] == bodies[1] == bodies[2]
    failed = [e for e in audit.entries if e.action is AuditAction.AUTHENTICATION_FAILED]
    assert sum(e.detail["attempts"] for e in failed) == 3
