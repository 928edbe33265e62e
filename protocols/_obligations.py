"""Obligations with a time limit, as frozen data: escalation ladders and statutory clocks.

A **ladder** (``escalations:`` in the YAML) says who is told, and when, that a delivery has not
been acknowledged. A rule names its ladder with ``escalation:``; each step waits ``after`` a
duration counted from the previous deadline (the rule's ``acknowledge_within`` deadline for the
first step), then tells ``to`` (``recipient``: the agency that was told; or a party id or a
role, resolved as a rule's recipients are), addressed to a team or role inside that agency
(``addressed_to``), and, with ``notify_sender``, tells the publisher too. An acknowledgement
stops the ladder.

A **clock** (``clocks:``) watches a domain obligation: it starts on a notification
(``starts_on``), falls due at a time the notification gives (``due``), and unless a later
notification about the same episode stops it first (``stops_on``), alerts its recipients with
the fields, purpose and lawful basis it declares, exactly as a rule would share them.

Rules:

1. A step's ``after`` is a duration (``30m``, ``2h``, ``1d``): deadlines chain, so step ``n``
   falls due the sum of the first ``n`` durations after the acknowledgement deadline.
2. ``to: recipient`` is the agency the delivery went to; any other party id must be a party.
3. ``addressed_to`` is a label for a team or role inside the agency (``duty-team``), never a
   person's name.
4. A clock's ``due`` is either ``field`` (a path holding a date-time, or a date: the start of
   that day in England) or ``after`` a duration ``from`` such a path; never both.
5. An episode is named by a path of the notification (``episode``, by default the envelope's
   ``episodeid``). Episode ids are the publisher's own, so a clock is stopped only by the
   publisher that started it, naming the same episode.
6. ``starts_on`` and ``stops_on`` name their publishers; the protocol checks that a rule lets
   each of them publish each type (:class:`protocols.Protocol`).
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, model_validator

from protocols._deadlines import parse_duration
from protocols._terms import (
    ID_PATTERN,
    Deadline,
    Duration,
    FieldPath,
    FieldPaths,
    Frozen,
    LawfulBasis,
    Publishers,
    Recipients,
    Retention,
    RoleRecipient,
    When,
    party_ids,
)

__all__ = [
    "RECIPIENT",
    "Clock",
    "ClockDue",
    "ClockTrigger",
    "Ladder",
    "LadderStep",
]

RECIPIENT = "recipient"  # a ladder step's ``to``: the agency the delivery went to
_LABEL = r"^[a-z][a-z0-9-]{1,40}$"


class LadderStep(Frozen):
    """One step of a ladder: after this long, tell this agency's team (and maybe the sender)."""

    after: Duration = Field(description="Counted from the previous step's deadline.")
    to: str | RoleRecipient = Field(
        description="'recipient' (the agency told), a party id, or {role: ...}."
    )
    addressed_to: str = Field(pattern=_LABEL, description="A team or role inside that agency.")
    notify_sender: bool = False

    @property
    def delay(self) -> timedelta:
        """``after`` as a duration."""
        return parse_duration(self.after)

    @property
    def named_party(self) -> str | None:
        """The party id ``to`` names, if it names one (not ``recipient``, not a role)."""
        return self.to if isinstance(self.to, str) and self.to != RECIPIENT else None


class Ladder(Frozen):
    """An escalation ladder: the steps taken, in order, while a delivery stays unacknowledged."""

    id: str = Field(pattern=ID_PATTERN)
    description: str = Field(min_length=1)
    steps: tuple[LadderStep, ...] = Field(min_length=1)


class ClockTrigger(Frozen):
    """Which notifications start (or stop) a clock, and how they name the episode."""

    types: tuple[str, ...] = Field(min_length=1)
    publishers: Publishers
    when: When = Field(default_factory=When)
    episode: FieldPath = Field(
        default="episodeid", description="The path naming the episode (the envelope's episodeid)."
    )


class ClockDue(Frozen):
    """When a clock falls due: a time the notification holds, or a duration after one."""

    field: FieldPath | None = Field(default=None, description="A path holding the due time.")
    after: Duration | None = None
    from_: FieldPath | None = Field(default=None, alias="from")

    @model_validator(mode="after")
    def _one_way(self) -> ClockDue:
        if self.field is not None:
            if self.after is not None or self.from_ is not None:
                raise ValueError("give either 'field', or 'after' with 'from', not both")
        elif self.after is None or self.from_ is None:
            raise ValueError("give 'field', or both 'after' and 'from'")
        return self

    @property
    def path(self) -> str:
        """The path the due time is read (or counted) from."""
        return self.field if self.field is not None else str(self.from_)

    @property
    def delay(self) -> timedelta:
        """How long after the time at :attr:`path` the clock falls due (zero for ``field``)."""
        return timedelta() if self.after is None else parse_duration(self.after)


class Clock(Frozen):
    """A statutory clock: started by one notification, stopped by another, else an alert."""

    id: str = Field(pattern=ID_PATTERN)
    description: str = Field(min_length=1)
    starts_on: ClockTrigger
    due: ClockDue
    stops_on: ClockTrigger
    recipients: Recipients
    fields: FieldPaths = Field(description="Paths of the starting notification the alert shows.")
    purpose: str = Field(min_length=1)
    lawful_basis: LawfulBasis
    acknowledge_within: Deadline | None = Field(
        default=None, description="Counted from the moment the alert is released."
    )
    retention: Retention

    @property
    def named_recipients(self) -> tuple[str, ...]:
        """The recipients named as party ids (not roles)."""
        return party_ids(self.recipients)
