"""The information-sharing protocol as data: models and loader. No I/O beyond reading a file."""

from protocols._loader import ProtocolError, load_protocol, parse_protocol
from protocols._model import Protocol, Rule, parse_duration

__all__ = ["Protocol", "ProtocolError", "Rule", "load_protocol", "parse_duration", "parse_protocol"]
