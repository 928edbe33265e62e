"""``hub subject erase``: crypto-shred a person's audit tokens, where erasure applies.

The identifiers are read as JSON from a file or standard input, never from the command line
(which ``ps`` and shell history would keep)::

    echo '[{"nhs_number": "9434765919"}, {"upn": "H801200001001"},
           {"local_id": "CHILD-000123", "agency": "northumberland-childrens"}]' |
        hub subject erase --identifiers - --reference DPO-2026-0042

For each identifier the subject's key is deleted (:mod:`hub.audit._subjects`): the records that
name the subject stay, with their hash chain, and still verify, but no identifier leads to them
again. An agency's own id given for a children's services agency shreds the child's council-id
key too (``la_child_id``, how police records link to the child); a council's child id can also
be given as ``{"la_child_id": ..., "la_code": ...}``. The subject's routing state (placements,
missing episodes, risks told) is deleted too. A ``subject.erased``
record is appended with the reference, the kinds of identifier and how many keys went; never
an identifier or a token. Run it as the database owner: the hub's own role may not delete keys.
Exit 0 done, 1 the database failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from hub._exceptions import StoreUnavailable
from hub.audit import AuditAction, AuditEntry
from hub.bootstrap import writing_audit_log
from hub.inspection import SubjectIdentifier
from hub.ports import utc_now
from hub.pseudonyms import KEY_BYTES, Pseudonymiser
from hub.settings import Settings
from hub.stores import SqlSubjectKeys
from hub.validation import field_problems
from protocols import PartyKind, ProtocolError, load_protocol

__all__ = ["register"]

USAGE_ERROR = 2
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
_IDENTIFIERS = TypeAdapter(tuple[SubjectIdentifier, ...])


def register(commands: Any) -> None:
    subject = commands.add_parser("subject", help="what the hub holds about one person")
    actions = subject.add_subparsers(dest="subject_command", required=True)
    erase = actions.add_parser("erase", help="crypto-shred a person's audit tokens")
    erase.add_argument("--identifiers", required=True, metavar="FILE", help="JSON list, or -")
    erase.add_argument("--reference", required=True, help="the erasure decision's reference")
    erase.set_defaults(handler=erase_command)


def _read(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    return Path(source).read_bytes()


def _every_pseudonym(
    identifiers: tuple[SubjectIdentifier, ...], pseudonyms: Pseudonymiser, settings: Settings
) -> list[str]:
    """Each identifier's pseudonym; for a children's services agency's own id, the child's
    council-id pseudonym as well (the protocol says which agencies those are)."""
    try:
        councils = {
            party.id: party.la_code
            for party in load_protocol(settings.protocol_path).parties
            if party.kind is PartyKind.CHILDREN_SERVICES
        }
    except ProtocolError:
        councils = {}
    keys = [identifier.pseudonym(pseudonyms) for identifier in identifiers]
    for identifier in identifiers:
        extra = identifier.council_pseudonym(pseudonyms, councils.get(identifier.agency or ""))
        if extra is not None:
            keys.append(extra)
    return keys


async def erase_command(args: argparse.Namespace, settings: Settings) -> int:
    if not _REFERENCE.match(args.reference):
        print(
            "hub subject erase: --reference is letters, digits and ._/- (64 at most)",
            file=sys.stderr,
        )
        return USAGE_ERROR
    try:
        identifiers = _IDENTIFIERS.validate_json(_read(args.identifiers))
        key = settings.pseudonym_key_path.read_bytes()
    except OSError as exc:
        print(f"hub subject erase: cannot read: {exc.strerror}", file=sys.stderr)
        return USAGE_ERROR
    except ValidationError as exc:
        fields = ", ".join(sorted({problem.field for problem in field_problems(exc)}))
        print(f"hub subject erase: invalid identifiers: {fields}", file=sys.stderr)
        return USAGE_ERROR
    if not identifiers or len(key) < KEY_BYTES:
        print("hub subject erase: no identifiers, or no usable pseudonym key", file=sys.stderr)
        return USAGE_ERROR
    pseudonyms = Pseudonymiser(key)
    audit = writing_audit_log(settings)
    try:
        await audit.migrate()
        shredded = await SqlSubjectKeys(audit.engine).erase(
            _every_pseudonym(identifiers, pseudonyms, settings)
        )
        kinds = Counter(identifier.kind for identifier in identifiers)
        await audit.record(
            AuditEntry(
                action=AuditAction.SUBJECT_ERASED,
                recorded_at=utc_now(),
                detail={
                    "reference": args.reference,
                    "identifiers": dict(sorted(kinds.items())),
                    "keys_shredded": shredded,
                },
            )
        )
    except StoreUnavailable as exc:
        print(f"hub subject erase: {exc.detail}", file=sys.stderr)
        return 1
    finally:
        await audit.close()
    print(json.dumps({"identifiers": len(identifiers), "keys_shredded": shredded}))
    return 0
