"""``hub adapt --agency AGENCY FILE``: map native records offline, sending nothing.

An integrator checks a mapping before going live. AGENCY is an agency id from the directory
(``HUB_AGENCIES_PATH``) or, without a directory, an adapter kind (``children_services``).
Prints the canonical notifications as JSON and exits 0, or prints the problems and exits 2.

The ids are keyed as the hub keys them (the agency's id key from the hub's pseudonym key,
``HUB_PSEUDONYM_KEY_PATH``), so an offline file gives the ids a post would. Without that key
the command refuses: it never creates one, since ids under another key would not be the hub's.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from adapters import ADAPTER_KINDS
from hub._exceptions import ConfigurationError, InvalidNotification
from hub.agencies import Agency, AgencyDirectory
from hub.intake import adapt, parse_records
from hub.ports import utc_now
from hub.pseudonyms import Pseudonymiser
from hub.settings import Settings
from schemas import notification_adapter

__all__ = ["register"]


def register(commands: Any) -> None:
    parser = commands.add_parser("adapt", help="map a file of native records without sending")
    parser.add_argument("--agency", required=True, help="agency id, or an adapter kind")
    parser.add_argument("--la-code", help="the agency's LA code, if not in the directory")
    parser.add_argument("--record-type", help="record_type of every row, for a CSV file")
    parser.add_argument("file", type=Path, help="JSON (array or {records: [...]}) or CSV")
    parser.set_defaults(handler=adapt_file)


def _agency(name: str, la_code: str | None, settings: Settings) -> Agency:
    if settings.agencies_path.exists():
        directory = AgencyDirectory.load(settings.agencies_path)
        if name in directory:
            agency = directory[name]
            return agency.model_copy(update={"la_code": la_code}) if la_code else agency
    if name in ADAPTER_KINDS:
        return Agency(id=f"offline-{name.replace('_', '-')}", name=name, kind=name, la_code=la_code)
    raise ConfigurationError(f"no agency {name!r} in the directory, and not an adapter kind")


def _pseudonyms(settings: Settings) -> Pseudonymiser:
    path = settings.pseudonym_key_path
    try:
        return Pseudonymiser(path.read_bytes())
    except FileNotFoundError as exc:
        raise ConfigurationError(
            f"no pseudonym key at {path}: hub adapt keys its ids with the hub's own key; "
            "set HUB_PSEUDONYM_KEY_PATH to the file the hub uses"
        ) from exc
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"the pseudonym key at {path} cannot be used") from exc


async def adapt_file(args: argparse.Namespace, settings: Settings) -> int:
    agency = _agency(args.agency, args.la_code, settings)
    pseudonyms = _pseudonyms(settings)
    content_type = "text/csv" if args.file.suffix.lower() == ".csv" else "application/json"
    try:
        records = parse_records(args.file.read_bytes(), content_type, args.record_type)
        notifications = adapt(agency, records, utc_now(), pseudonyms)
    except InvalidNotification as invalid:
        problems = [
            {"field": p.field, "rule": p.rule, "message": p.message} for p in invalid.problems
        ]
        print(json.dumps({"problems": problems}, indent=2))
        return 2
    except OSError as exc:
        print(f"hub adapt: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    documents = [
        notification_adapter.dump_python(n, mode="json", exclude_none=True) for n in notifications
    ]
    print(json.dumps(documents, indent=2))
    return 0
