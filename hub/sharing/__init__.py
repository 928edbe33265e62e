"""The sharing decision: pure, table-driven, no I/O. See the rules atop :mod:`._decide`."""

from hub.sharing._decide import ALWAYS_SHARED, Decision, Receipt, Refusal, View, decide

__all__ = ["ALWAYS_SHARED", "Decision", "Receipt", "Refusal", "View", "decide"]
