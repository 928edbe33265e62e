"""Load a protocol YAML file into frozen :class:`~protocols._model.Protocol` data.

Every problem is reported with the line it is on, so a reviewer who does not read Python can
find it: ``northumberland.yaml:42: rules[3].acknowledge_within: expected a duration ...``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import yaml
from pydantic import ValidationError

from protocols._model import Protocol

__all__ = ["ProtocolError", "load_protocol", "parse_protocol"]


class ProtocolError(ValueError):
    """The protocol file is not a valid protocol; the message says where and why."""


def _line_of(root: yaml.Node | None, location: Sequence[int | str]) -> int | None:
    """The 1-based line of the YAML node at ``location`` (or of its nearest existing parent)."""
    node = root
    line = None if node is None else node.start_mark.line + 1
    for part in location:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    child = value
                    line = key.start_mark.line + 1
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def _describe(location: Sequence[int | str]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def parse_protocol(text: bytes, *, origin: str = "<protocol>") -> Protocol:
    """Validate protocol YAML bytes; the file hash becomes part of the version."""
    try:
        root = yaml.compose(text)
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ProtocolError(f"{origin}{where}: {problem}") from exc
    if not isinstance(document, dict):
        raise ProtocolError(f"{origin}:1: expected a mapping at the top level")
    document["content_hash"] = hashlib.sha256(text).hexdigest()
    try:
        return Protocol.model_validate(document)
    except ValidationError as exc:
        reasons = []
        for error in exc.errors(include_url=False, include_input=False):
            location = [part for part in error["loc"] if not _is_union_tag(part)]
            line = _line_of(root, location)
            where = f"{origin}:{line}" if line is not None else origin
            reasons.append(f"{where}: {_describe(location)}: {error['msg']}")
        raise ProtocolError("\n".join(reasons)) from exc


def _is_union_tag(part: int | str) -> bool:
    # pydantic names the union member it tried ("str", "RoleRecipient"); YAML has no such level.
    return isinstance(part, str) and (part == "str" or part[:1].isupper())


def load_protocol(path: Path) -> Protocol:
    """Read and validate the protocol at ``path``."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ProtocolError(f"{path}: cannot read protocol file ({exc.strerror})") from exc
    return parse_protocol(text, origin=str(path))
