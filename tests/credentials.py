"""Synthetic bearer-token entries for test directories: scoped, far from expiry, unrevoked."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.agencies import Scope, Token, hash_token

__all__ = ["FAR_FUTURE", "token_of"]

FAR_FUTURE = datetime(2099, 1, 1, tzinfo=UTC)
_AGENCY_SCOPES: tuple[Scope, ...] = ("post", "inbox")


def token_of(
    token: str,
    *scopes: Scope,
    token_id: str | None = None,
    expires: datetime = FAR_FUTURE,
    revoked: datetime | None = None,
) -> Token:
    """The directory entry of ``token``: ``post`` and ``inbox`` unless ``scopes`` are given."""
    return Token(
        id=token_id or "tok-" + hash_token(token)[:12],
        sha256=hash_token(token),
        scopes=scopes or _AGENCY_SCOPES,
        expires=expires,
        revoked=revoked,
    )
