"""The information-sharing protocol as data: models, loader, lint and diff.

No I/O beyond reading a file.
"""

from protocols._deadlines import (
    SchoolCalendar,
    acknowledge_by,
    check_deadline,
    parse_duration,
    school_calendar,
)
from protocols._diff import diff_protocols
from protocols._index import ProtocolIndex
from protocols._lint import Finding, Severity, lint_protocol, schema_leaf_paths, schema_paths
from protocols._loader import ProtocolError, load_protocol, parse_protocol
from protocols._model import (
    AREA_PATTERN,
    COUNCIL_ROLES,
    COUNCIL_SERVICES,
    Authority,
    Condition,
    Party,
    PartyKind,
    Protocol,
    RiskThreshold,
    Role,
    RoleRecipient,
    Rule,
    When,
)
from protocols._obligations import RECIPIENT, Clock, ClockDue, ClockTrigger, Ladder, LadderStep

__all__ = [
    "AREA_PATTERN",
    "COUNCIL_ROLES",
    "COUNCIL_SERVICES",
    "RECIPIENT",
    "Authority",
    "Clock",
    "ClockDue",
    "ClockTrigger",
    "Condition",
    "Finding",
    "Ladder",
    "LadderStep",
    "Party",
    "PartyKind",
    "Protocol",
    "ProtocolError",
    "ProtocolIndex",
    "RiskThreshold",
    "Role",
    "RoleRecipient",
    "Rule",
    "SchoolCalendar",
    "Severity",
    "When",
    "acknowledge_by",
    "check_deadline",
    "diff_protocols",
    "lint_protocol",
    "load_protocol",
    "parse_duration",
    "parse_protocol",
    "schema_leaf_paths",
    "schema_paths",
    "school_calendar",
]
