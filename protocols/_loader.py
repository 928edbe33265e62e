"""Load a protocol YAML file into frozen :class:`~protocols._model.Protocol` data.

Every problem is reported with the line it is on, so a reviewer who does not read Python can
find it: ``northumberland.yaml:42: rules[3].acknowledge_within: expected a duration ...``.
"""

from __future__ import annotations

import hashlib
import re
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


def _duplicate_keys(node: yaml.Node | None, origin: str) -> list[str]:
    """YAML lets a later key silently replace an earlier one; in a protocol that is an error."""
    problems: list[str] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[object] = set()
        for key, value in node.value:
            if key.value in seen:
                problems.append(
                    f"{origin}:{key.start_mark.line + 1}: {key.value}: given twice in one mapping"
                )
            seen.add(key.value)
            problems.extend(_duplicate_keys(value, origin))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            problems.extend(_duplicate_keys(item, origin))
    return problems


_SCALAR_LABELS = frozenset({"str", "int", "bool", "float"})


def _has(node: object, part: int | str) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _yaml_location(document: object, location: Sequence[int | str]) -> list[int | str] | None:
    """``location`` as a path in the YAML, or None for a union branch that does not apply.

    pydantic reports one error per member of a union, labelled with the member's type ("str",
    "RoleRecipient", "tuple[...]"). A label is not part of the YAML path; an error for a scalar
    branch where the YAML holds a mapping or list is about another branch and is dropped.
    """
    kept: list[int | str] = []
    node: object = document
    for part in location:
        if _has(node, part):
            kept.append(part)
            node = node[part]  # type: ignore[index]  # _has checked node is a dict or list
        elif isinstance(part, str) and part in _SCALAR_LABELS:
            if isinstance(node, dict | list):
                return None
        elif isinstance(part, str) and (part[:1].isupper() or "[" in part):
            continue
        elif isinstance(node, dict):
            kept.append(part)  # a required key that is missing: name it
            node = None
    return kept


_SECTIONS = {"rule": "rules", "ladder": "escalations", "clock": "clocks"}
_NAMED = re.compile(r"(?P<what>rule|ladder|clock) (?P<id>[a-z0-9-]+):")
_DUPLICATE = re.compile(
    r"duplicate (?P<what>rule|ladder)(?: or clock)? id\(s\): \['(?P<id>[a-z0-9-]+)'"
)


def _ids_at(document: dict[str, object], section: str, wanted: str) -> list[int]:
    items = document.get(section)
    if not isinstance(items, list):
        return []
    return [
        i for i, item in enumerate(items) if isinstance(item, dict) and item.get("id") == wanted
    ]


def _item_line(root: yaml.Node | None, document: dict[str, object], message: str) -> int | None:
    """For a whole-protocol error about a rule, ladder, clock or party id, the line of that item.

    A duplicated id is reported at its last use (a clock's before a rule's); any other error at
    the item it names.
    """
    duplicate = _DUPLICATE.search(message)
    named = duplicate or _NAMED.match(message)
    if named is not None:
        sections = ["clocks", "rules"] if "or clock" in message else [_SECTIONS[named["what"]]]
        for section in sections:
            indexes = _ids_at(document, section, named["id"])
            if indexes:
                return _line_of(root, [section, indexes[-1] if duplicate else indexes[0]])
    if "party id" in message:
        return _line_of(root, ["parties"])
    return None


def parse_protocol(text: bytes, *, origin: str = "<protocol>") -> Protocol:
    """Validate protocol YAML bytes; the file hash becomes part of the version."""
    try:
        root = yaml.compose(text)
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ProtocolError(f"{origin}{where}: not valid YAML: {problem}") from exc
    if not isinstance(document, dict):
        raise ProtocolError(f"{origin}:1: expected a mapping at the top level")
    duplicates = _duplicate_keys(root, origin)
    if duplicates:
        raise ProtocolError("\n".join(duplicates))
    document["content_hash"] = hashlib.sha256(text).hexdigest()
    try:
        return Protocol.model_validate(document)
    except ValidationError as exc:
        reasons: list[str] = []
        for error in exc.errors(include_url=False, include_input=False):
            message = str(error["msg"]).removeprefix("Value error, ")
            location = _yaml_location(document, error["loc"])
            if location is None:
                continue
            line = _line_of(root, location) if location else _item_line(root, document, message)
            where = f"{origin}:{line}" if line is not None else origin
            reason = f"{where}: {_describe(location)}: {message}"
            if reason not in reasons:
                reasons.append(reason)
        raise ProtocolError("\n".join(reasons)) from exc


def load_protocol(path: Path) -> Protocol:
    """Read and validate the protocol at ``path``."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ProtocolError(f"{path}: cannot read protocol file ({exc.strerror})") from exc
    return parse_protocol(text, origin=str(path))
