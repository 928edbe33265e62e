"""Safeguarding Adults Collection (SAC) vocabularies, exactly as NHS England labels them.

The SAC is an aggregate return (reference §3), so there is no national record layout; an LA's
own enquiry record uses the SAC category labels for its coded fields (reference §7.3). The
labels below are the SAC table categories (``SG1b`` ... ``SG4a``), spelled as the SAC
publication pipeline spells them.

Rules:

1. A label matches only exactly (case, spelling and punctuation), after trimming surrounding
   spaces: the SAC counts by these strings, and a near-miss is a recording error to fix at
   source, not a guess to make here. The error names the table and lists the valid labels.
2. SG1b gender ``Male``/``Female``/``Not Known`` becomes canonical sex ``M``/``F``/``U``.
3. Three SG2a types of risk are exploitation-relevant and set canonical markers (reference §7.5):
   ``Sexual Exploitation``, ``Modern Slavery`` and ``Sexual Abuse``. The other types set none.
4. An SG2c result starting "Risk identified" is the only one that carries an SG2e risk outcome
   (LA recording forms ask for the outcome only after those two results).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, Final

from pydantic_core import PydanticCustomError

from schemas import Sex

__all__ = [
    "EXPLOITATION_MARKERS",
    "RISK_IDENTIFIED",
    "SEX_FOR_GENDER",
    "ActionAndResult",
    "EnquiryType",
    "Ethnicity",
    "Gender",
    "LackedCapacity",
    "LocationOfRisk",
    "MspAsked",
    "MspOutcomesAchieved",
    "PrimarySupportReason",
    "RiskOutcome",
    "SourceOfRisk",
    "TypeOfRisk",
    "label_check",
]


class Gender(StrEnum):
    """SG1b gender."""

    MALE = "Male"
    FEMALE = "Female"
    NOT_KNOWN = "Not Known"


class Ethnicity(StrEnum):
    """SG1c ethnicity (validated; not forwarded)."""

    WHITE = "White"
    MIXED = "Mixed / Multiple"
    ASIAN = "Asian / Asian British"
    BLACK = "Black / African / Caribbean / Black British"
    OTHER = "Other Ethnic Group"
    REFUSED = "Refused"
    UNDECLARED = "Undeclared / Not Known"


class PrimarySupportReason(StrEnum):
    """SG1d primary support reason (validated; not forwarded)."""

    PHYSICAL = "Physical Support"
    SENSORY = "Sensory Support"
    MEMORY_AND_COGNITION = "Support with Memory and Cognition"
    LEARNING_DISABILITY = "Learning Disability Support"
    MENTAL_HEALTH = "Mental Health Support"
    SOCIAL = "Social Support"
    NONE = "No Support Reason"
    NOT_KNOWN = "Not Known"


class EnquiryType(StrEnum):
    """SG1f enquiry type: a Care Act section 42 enquiry, or an other (non-statutory) enquiry."""

    SECTION_42 = "Section 42"
    OTHER = "Other"


class TypeOfRisk(StrEnum):
    """SG2a type of risk (several may apply to one enquiry)."""

    PHYSICAL_ABUSE = "Physical Abuse"
    SEXUAL_ABUSE = "Sexual Abuse"
    PSYCHOLOGICAL_ABUSE = "Psychological Abuse"
    FINANCIAL_OR_MATERIAL_ABUSE = "Financial or Material Abuse"
    DISCRIMINATORY_ABUSE = "Discriminatory Abuse"
    ORGANISATIONAL_ABUSE = "Organisational Abuse"
    NEGLECT = "Neglect and Acts of Omission"
    DOMESTIC_ABUSE = "Domestic Abuse"
    SEXUAL_EXPLOITATION = "Sexual Exploitation"
    MODERN_SLAVERY = "Modern Slavery"
    SELF_NEGLECT = "Self-Neglect"


class LocationOfRisk(StrEnum):
    """SG2b location of risk."""

    OWN_HOME = "Own Home"
    IN_THE_COMMUNITY = "In the Community"
    COMMUNITY_SERVICE = "Community Service"
    CARE_HOME_NURSING = "Care Home - Nursing"
    CARE_HOME_RESIDENTIAL = "Care Home - Residential"
    HOSPITAL_ACUTE = "Hospital - Acute"
    HOSPITAL_MENTAL_HEALTH = "Hospital - Mental Health"
    HOSPITAL_COMMUNITY = "Hospital - Community"
    OTHER = "Other"


class SourceOfRisk(StrEnum):
    """SG2a/SG2b source of risk: who the alleged perpetrator is (several may apply)."""

    SERVICE_PROVIDER = "Service Provider"
    KNOWN = "Other - Known to individual"
    UNKNOWN = "Other - Unknown to individual"


class ActionAndResult(StrEnum):
    """SG2c action taken and result of a concluded enquiry."""

    RISK_IDENTIFIED_ACTION = "Risk identified and action taken"
    RISK_IDENTIFIED_NO_ACTION = "Risk identified and no action taken"
    INCONCLUSIVE_ACTION = "Risk Assessment inconclusive and action taken"
    INCONCLUSIVE_NO_ACTION = "Risk Assessment inconclusive and no action taken"
    NO_RISK_ACTION = "No risk identified and action taken"
    NO_RISK_NO_ACTION = "No risk identified and no action taken"
    CEASED_AT_REQUEST = "Enquiry ceased at individual's request and no action taken"


class RiskOutcome(StrEnum):
    """SG2e risk outcome of a concluded enquiry where a risk was identified."""

    REMAINED = "Risk remained"
    REDUCED = "Risk reduced"
    REMOVED = "Risk removed"


class LackedCapacity(StrEnum):
    """SG3a: did the adult lack capacity to make decisions about the safeguarding process."""

    YES = "Yes, they lacked capacity"
    NO = "No, they did not lack capacity"
    DONT_KNOW = "Don't know"
    NOT_RECORDED = "Not recorded"


class MspAsked(StrEnum):
    """SG4a Making Safeguarding Personal: was the adult asked about their desired outcomes."""

    ASKED_EXPRESSED = "Yes they were asked and outcomes were expressed"
    ASKED_NOT_EXPRESSED = "Yes they were asked but no outcomes were expressed"
    NO = "No"
    DONT_KNOW = "Don't Know"
    NOT_RECORDED = "Not Recorded"


class MspOutcomesAchieved(StrEnum):
    """SG4a: were the outcomes the adult expressed achieved."""

    FULLY = "Fully Achieved"
    PARTIALLY = "Partially Achieved"
    NOT_ACHIEVED = "Not Achieved"


SEX_FOR_GENDER: Final[Mapping[Gender, Sex]] = {
    Gender.MALE: Sex.MALE,
    Gender.FEMALE: Sex.FEMALE,
    Gender.NOT_KNOWN: Sex.UNKNOWN,
}

# The canonical ExploitationMarkers field each exploitation-relevant type of risk sets (§7.5).
EXPLOITATION_MARKERS: Final[Mapping[TypeOfRisk, str]] = {
    TypeOfRisk.SEXUAL_EXPLOITATION: "sexual_exploitation",
    TypeOfRisk.MODERN_SLAVERY: "trafficking_modern_slavery",
    TypeOfRisk.SEXUAL_ABUSE: "sexual_abuse",
}

RISK_IDENTIFIED: Final[frozenset[ActionAndResult]] = frozenset(
    {ActionAndResult.RISK_IDENTIFIED_ACTION, ActionAndResult.RISK_IDENTIFIED_NO_ACTION}
)


def label_check(labels: type[StrEnum], table: str) -> Callable[[Any], Any]:
    """A before-validator accepting exactly one of ``labels``; the error lists them all."""
    valid = {member.value: member for member in labels}
    listing = ", ".join(f"'{label}'" for label in valid)
    folded = {label.casefold(): label for label in valid}

    def check(value: Any) -> Any:
        text = value.strip() if isinstance(value, str) else value
        if isinstance(text, str) and text in valid:
            return valid[text]
        # A case-only slip gets its own hint; the value itself is never echoed.
        hint = (
            "matches a label only if case or spacing is ignored, but SAC labels are exact"
            if isinstance(text, str) and " ".join(text.split()).casefold() in folded
            else "not a SAC label (labels are exact: case and spelling matter)"
        )
        raise PydanticCustomError("sac_label", f"{hint}; {table} expects one of: {listing}")

    return check
