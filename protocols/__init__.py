"""The information-sharing protocol as data: models and loader. No I/O beyond reading a file."""

from protocols._deadlines import acknowledge_by, check_deadline, parse_duration
from protocols._loader import ProtocolError, load_protocol, parse_protocol
from protocols._model import (
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

__all__ = [
    "Condition",
    "Party",
    "PartyKind",
    "Protocol",
    "ProtocolError",
    "RiskThreshold",
    "Role",
    "RoleRecipient",
    "Rule",
    "When",
    "acknowledge_by",
    "check_deadline",
    "load_protocol",
    "parse_duration",
    "parse_protocol",
]
