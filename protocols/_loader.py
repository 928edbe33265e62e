"""Load a protocol YAML file into frozen :class:`~protocols._model.Protocol` data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml
from pydantic import ValidationError

from protocols._model import Protocol

__all__ = ["ProtocolError", "load_protocol", "parse_protocol"]


class ProtocolError(ValueError):
    """The protocol file is not a valid protocol; the message says where and why."""


def parse_protocol(text: bytes, *, origin: str = "<protocol>") -> Protocol:
    """Validate protocol YAML bytes; the file hash becomes part of the version."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProtocolError(f"{origin}: not valid YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise ProtocolError(f"{origin}: expected a mapping at the top level")
    document["content_hash"] = hashlib.sha256(text).hexdigest()
    try:
        protocol = Protocol.model_validate(document)
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False)
        )
        raise ProtocolError(f"{origin}: {reasons}") from exc
    _check_references(protocol, origin)
    return protocol


def _check_references(protocol: Protocol, origin: str) -> None:
    parties = set(protocol.parties)
    seen: set[str] = set()
    for rule in protocol.rules:
        if rule.id in seen:
            raise ProtocolError(f"{origin}: rule {rule.id}: duplicate rule id")
        seen.add(rule.id)
        unknown = (set(rule.publishers) | set(rule.recipients)) - parties
        if unknown:
            raise ProtocolError(
                f"{origin}: rule {rule.id}: not a party to the protocol: {sorted(unknown)}"
            )


def load_protocol(path: Path) -> Protocol:
    """Read and validate the protocol at ``path``."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ProtocolError(f"{path}: cannot read protocol file ({exc.strerror})") from exc
    return parse_protocol(text, origin=str(path))
