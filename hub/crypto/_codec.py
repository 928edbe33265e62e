"""Small, strict codecs shared by the key documents and the wire formats.

Rules:

1. base64url is RFC 4648 section 5 *without* padding, and decoding is canonical: any character
   outside ``A-Z a-z 0-9 - _``, any ``=``, or non-zero unused trailing bits is rejected. So one
   byte string has exactly one text form, and a flipped bit in the text can never decode to the
   same bytes.
2. A header field (agency id, message id, rule id, protocol version, kid, suite) is a non-empty
   string of at most 256 characters with no control characters (U+0000-U+001F, U+007F) and no
   lone surrogates (so it always encodes to UTF-8). That makes the ``\\x1f``-separated HPKE
   ``info`` and the ``\\n``-joined signed header unambiguous.
3. An envelope is a JSON object whose members are all strings, with no duplicate names and
   exactly the expected set of names.
4. Time comes in as an aware :class:`datetime`; a naive one is a programmer's error
   (``ValueError``). Key documents hold whole Unix seconds.

Peer input that breaks 1-3 raises ``InvalidMessage("malformed")``; our own bad arguments raise
``ValueError`` (see :func:`require_header_text`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Final

from hub._exceptions import InvalidMessage

__all__ = [
    "MAX_HEADER_CHARS",
    "b64decode",
    "b64encode",
    "is_header_text",
    "parse_envelope",
    "require_header_text",
    "timestamp",
    "utc_datetime",
]

MAX_HEADER_CHARS: Final = 256
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def b64encode(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    """Canonical base64url without padding; anything else raises ``InvalidMessage("malformed")``."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise InvalidMessage("malformed")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - the regex rules these out
        raise InvalidMessage("malformed") from exc
    if b64encode(data) != text:
        raise InvalidMessage("malformed")
    return data


def is_header_text(value: object) -> bool:
    """Whether ``value`` is a valid header field (rule 2)."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_HEADER_CHARS
        and _CONTROL.search(value) is None
    )


def require_header_text(name: str, value: object) -> str:
    """Our own argument must be header text; a bad one is a programmer's error."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be str, not {type(value).__name__}")
    if not is_header_text(value):
        raise ValueError(
            f"{name} must be 1-{MAX_HEADER_CHARS} characters without control characters"
        )
    return value


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise InvalidMessage("malformed")
    return result


def parse_envelope(data: bytes, version: str, names: Iterable[str]) -> dict[str, str]:
    """A peer's JSON object of tag ``version`` whose members are exactly ``names`` (rule 3).

    The version is checked before the member names, so an envelope of an unknown version is
    ``unsupported_version`` rather than ``malformed``.
    """
    if not isinstance(data, bytes):
        raise TypeError(f"an envelope must be bytes, not {type(data).__name__}")
    try:
        parsed = json.loads(data, object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError) as exc:  # bad UTF-8, bad JSON, an over-long number
        raise InvalidMessage("malformed") from exc
    if not isinstance(parsed, dict) or not isinstance(parsed.get("v"), str):
        raise InvalidMessage("malformed")
    if parsed["v"] != version:
        raise InvalidMessage("unsupported_version")
    if set(parsed) != set(names) or not all(isinstance(v, str) for v in parsed.values()):
        raise InvalidMessage("malformed")
    return {key: str(value) for key, value in parsed.items()}


def timestamp(now: datetime) -> float:
    """Unix seconds of an aware datetime; a naive one is a programmer's error."""
    if not isinstance(now, datetime):
        raise TypeError(f"now must be a datetime, not {type(now).__name__}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now.timestamp()


def utc_datetime(seconds: int) -> datetime:
    """The aware UTC datetime of whole Unix seconds, for display."""
    return datetime.fromtimestamp(seconds, tz=UTC)
