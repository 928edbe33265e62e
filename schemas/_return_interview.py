"""Return interview notifications: where the interview after a missing episode stands, and what
it found.

The statutory guidance on children who run away or go missing from home or care asks that every
child be offered an independent return interview, and that what it finds (why the child went,
what drew them away, where they were and with whom) be shared to protect them. The strategy asks
that every interview be shared with the police, and that a declined one carry the attempts made
and an analysis. The interview belongs to a missing episode: the envelope's ``episodeid`` and
``data.episode_ref`` name it.

Rules:

1. ``outcome`` is ``offered``, ``completed`` (needs ``completed_on``), ``declined`` (needs the
   ``attempts`` made and an ``analysis``) or ``not_offered`` (needs ``not_offered_reason``).
   ``completed_on`` belongs to a completed interview only; ``not_offered_reason`` and
   ``not_offered_detail`` to one not offered, which has no ``offered_on`` and no ``attempts``.
2. What the interview found is coded wherever it can be: push and pull factors, the kinds of
   places and the relationships of associates, the actions agreed. A code list holds each code
   once. Findings (factors, places, associates) may accompany any interview that was offered:
   a declined interview's analysis often rests on what carers and the police already know. An
   interview not offered found nothing, though it may still carry an analysis and actions.
3. Free text (``analysis``, ``not_offered_detail``, a place's or an associate's
   ``description``) is personal data: the protocol decides who sees it and logs never do.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal, TypeVar

from pydantic import AfterValidator, Field, model_validator

from schemas._areas import AreaCode
from schemas._base import CanonicalModel, personal
from schemas._envelope import ID_PATTERN, Envelope
from schemas._person import PersonRef

__all__ = [
    "MAX_INTERVIEW_ITEMS",
    "ActionOwner",
    "Associate",
    "AssociateRelationship",
    "ContactAttempt",
    "InterviewAction",
    "InterviewActionKind",
    "NotOfferedReason",
    "PlaceKind",
    "PlaceVisited",
    "PullFactor",
    "PushFactor",
    "ReturnInterviewOutcome",
    "ReturnInterviewRecorded",
    "ReturnInterviewRecordedData",
]

MAX_INTERVIEW_ITEMS = 50  # per list: far more than one interview records, never unbounded


class ReturnInterviewOutcome(StrEnum):
    """Where the return interview stands (Annex A: offered / accepted)."""

    OFFERED = "offered"
    COMPLETED = "completed"
    DECLINED = "declined"
    NOT_OFFERED = "not_offered"


class NotOfferedReason(StrEnum):
    """Why no return interview was offered."""

    TURNED_18 = "turned_18"
    IN_CUSTODY = "in_custody"
    MOVED_OUT_OF_AREA = "moved_out_of_area"
    ALREADY_SUPPORTED = "already_supported"
    OTHER = "other"


class PushFactor(StrEnum):
    """What pushed the child to leave (statutory guidance: reasons for running away)."""

    CONFLICT_AT_HOME = "conflict_at_home"
    DOMESTIC_ABUSE = "domestic_abuse"
    PLACEMENT_UNHAPPY = "placement_unhappy"
    ABUSE_OR_NEGLECT = "abuse_or_neglect"
    BULLYING = "bullying"
    SCHOOL_PROBLEMS = "school_problems"
    MENTAL_HEALTH = "mental_health"
    SUBSTANCE_MISUSE = "substance_misuse"
    BEREAVEMENT = "bereavement"
    OTHER = "other"


class PullFactor(StrEnum):
    """What drew the child away (statutory guidance: the pull of people and places)."""

    FRIENDS_OR_PEERS = "friends_or_peers"
    BOYFRIEND_OR_GIRLFRIEND = "boyfriend_or_girlfriend"
    ADULT_NOT_KNOWN_TO_CARERS = "adult_not_known_to_carers"
    FAMILY = "family"
    GIFTS_MONEY_OR_SUBSTANCES = "gifts_money_or_substances"
    ONLINE_CONTACT = "online_contact"
    GANG_OR_COUNTY_LINES = "gang_or_county_lines"
    OTHER = "other"


class PlaceKind(StrEnum):
    """The kind of place the child was while missing."""

    HOME_ADDRESS = "home_address"
    FRIEND_ADDRESS = "friend_address"
    ADULT_ADDRESS = "adult_address"
    HOTEL = "hotel"
    SHOP_OR_TAKEAWAY = "shop_or_takeaway"
    STREET_OR_PARK = "street_or_park"
    TRANSPORT_HUB = "transport_hub"
    ONLINE = "online"
    OTHER = "other"


class AssociateRelationship(StrEnum):
    """Who an associate is to the child."""

    PEER = "peer"
    PARTNER = "partner"
    FAMILY = "family"
    ADULT_KNOWN = "adult_known"
    ADULT_UNKNOWN = "adult_unknown"
    ONLINE_CONTACT = "online_contact"


class InterviewActionKind(StrEnum):
    """An action agreed after the interview."""

    REFER_TO_RMG = "refer_to_rmg"
    SAFETY_PLAN = "safety_plan"
    DISRUPTION = "disruption"
    HEALTH_REFERRAL = "health_referral"
    EDUCATION_SUPPORT = "education_support"
    POLICE_INTELLIGENCE = "police_intelligence"
    RETURN_HOME_WORK = "return_home_work"
    OTHER = "other"


class ActionOwner(StrEnum):
    """The kind of agency that owns an action."""

    POLICE = "police"
    CHILDREN_SERVICES = "children_services"
    ADULT_SERVICES = "adult_services"
    EDUCATION = "education"
    HEALTH = "health"
    OTHER = "other"


_Code = TypeVar("_Code", bound=StrEnum)


def _each_once(codes: tuple[_Code, ...]) -> tuple[_Code, ...]:
    if len(set(codes)) != len(codes):
        raise ValueError("each code may appear only once")
    return codes


class ContactAttempt(CanonicalModel):
    """One attempt to engage the child in a return interview."""

    attempted_on: date
    method: Literal["visit", "phone", "letter", "text", "email", "other"]
    reached: bool


class PlaceVisited(CanonicalModel):
    """A place the child was while missing: its kind, its council area, and in words."""

    kind: PlaceKind
    area: AreaCode | None = Field(default=None, description="The council area it is in.")
    description: str | None = personal(default=None, min_length=1, max_length=200)


class Associate(CanonicalModel):
    """Someone the child was with, or in contact with, while missing."""

    relationship: AssociateRelationship
    adult: bool | None = None
    believed_to_exploit: bool | None = Field(
        default=None, description="Whether the interview gave cause to believe they exploit."
    )
    description: str | None = personal(default=None, min_length=1, max_length=200)


class InterviewAction(CanonicalModel):
    """An action agreed after the interview, with the kind of agency that owns it."""

    action: InterviewActionKind
    owner: ActionOwner
    due_on: date | None = None


class ReturnInterviewRecordedData(CanonicalModel):
    """The state of the return interview for one missing episode, and what it found."""

    person: PersonRef
    episode_ref: str = Field(pattern=ID_PATTERN, description="The missing episode it follows.")
    outcome: ReturnInterviewOutcome
    not_offered_reason: NotOfferedReason | None = None
    not_offered_detail: str | None = personal(default=None, min_length=1, max_length=500)
    offered_on: date | None = None
    completed_on: date | None = None
    conducted_by: Literal["independent_worker", "social_worker", "other"] | None = None
    se_risk_identified: bool | None = Field(
        default=None, description="Whether the interview identified a risk of exploitation."
    )
    attempts: tuple[ContactAttempt, ...] = Field(default=(), max_length=MAX_INTERVIEW_ITEMS)
    push_factors: Annotated[
        tuple[PushFactor, ...], Field(max_length=len(PushFactor)), AfterValidator(_each_once)
    ] = ()
    pull_factors: Annotated[
        tuple[PullFactor, ...], Field(max_length=len(PullFactor)), AfterValidator(_each_once)
    ] = ()
    places: tuple[PlaceVisited, ...] = Field(default=(), max_length=MAX_INTERVIEW_ITEMS)
    associates: tuple[Associate, ...] = Field(default=(), max_length=MAX_INTERVIEW_ITEMS)
    analysis: str | None = personal(
        default=None,
        min_length=1,
        max_length=4000,
        description="What the interview, or the attempts at one, show, and what follows.",
    )
    actions: tuple[InterviewAction, ...] = Field(default=(), max_length=MAX_INTERVIEW_ITEMS)

    @model_validator(mode="after")
    def _outcome_has_its_evidence(self) -> ReturnInterviewRecordedData:
        outcome = self.outcome
        if outcome is ReturnInterviewOutcome.COMPLETED and self.completed_on is None:
            raise ValueError("a completed interview needs completed_on")
        if outcome is not ReturnInterviewOutcome.COMPLETED and self.completed_on is not None:
            raise ValueError("completed_on is only for a completed interview")
        if outcome is ReturnInterviewOutcome.DECLINED:
            if not self.analysis:
                raise ValueError("a declined interview needs the analysis")
            if not self.attempts:
                raise ValueError("a declined interview needs the attempts made")
        if outcome is ReturnInterviewOutcome.NOT_OFFERED:
            if self.not_offered_reason is None:
                raise ValueError("an interview not offered needs not_offered_reason")
            if self.offered_on is not None or self.attempts:
                raise ValueError("an interview not offered has no offered_on and no attempts")
            if self.push_factors or self.pull_factors or self.places or self.associates:
                raise ValueError("an interview not offered found no factors, places or associates")
        elif self.not_offered_reason is not None or self.not_offered_detail is not None:
            raise ValueError("not_offered_reason and its detail are only for not_offered")
        return self


class ReturnInterviewRecorded(Envelope):
    """CloudEvent: a return interview was offered, completed, declined or not offered."""

    type: Literal["uk.sehub.return_interview.recorded.v1"]
    data: ReturnInterviewRecordedData
