"""Code lists of the SSDA903 return and the Children in Need census, with their collection years.

Rules:

1. Codes are the DfE's own (reference §1, §2). A code outside a list is an error; codes are not
   personal data, so an error message may list the valid ones.
2. A DfE collection year runs from 1 April to 31 March; year 2024 means 2024/25.
3. SSDA903 ``PLACE`` depends on the year of the episode's ``DECOM``: K3 from 2024/25; H5, P2 and
   Z1 up to 2024/25; Z11-Z14 from 2025/26.
4. Sex coding depends on the year of the return being made (the year containing the adapter's
   ``now``): 903 ``SEX`` 1/2 and CIN ``GenderCurrent`` 0/1/2/9 up to 2023/24, M/F/U from 2024/25.
5. CIN assessment factors: the 2024 list; the legacy 18A/19A only in census years up to 2019/20
   (the last CIN schema carrying them is ``CIN_schema_2020``).
"""

from __future__ import annotations

from datetime import date

from schemas import Sex

__all__ = [
    "ALL_PLACEMENT_TYPES",
    "CATEGORY_OF_NEED",
    "CIN_FACTORS",
    "CIN_GENDER_CURRENT",
    "CIN_UPN_UNKNOWN",
    "ETHNIC",
    "FACTOR_MARKERS",
    "LEGACY_CIN_FACTORS",
    "LEGAL_STATUS",
    "MISSING_TYPES",
    "NO_PROVIDER_PLACEMENTS",
    "PLACEMENT_PROVIDERS",
    "PLACEMENT_RNE",
    "PL_LA_CONFIDENTIAL",
    "PL_LOCATION",
    "REASON_CEASED",
    "REASON_NEW_EPISODE",
    "REASON_PLACE_CHANGE",
    "RHI_ATTEMPT_METHODS",
    "RHI_CONDUCTED_BY",
    "RHI_FLAGS",
    "SEX_903_OLD",
    "SEX_FROM_CODE",
    "SEX_NEW",
    "SHARED_FACTORS",
    "TEMPORARY_PLACEMENTS",
    "UPN_UNKNOWN_903",
    "collection_year",
    "legacy_factors_allowed",
    "new_sex_coding",
    "placement_types_for",
    "year_label",
]


def collection_year(day: date) -> int:
    """The DfE collection year a date falls in: 1 April 2024 to 31 March 2025 is 2024."""
    return day.year if day.month >= 4 else day.year - 1


def year_label(year: int) -> str:
    """The usual name of a collection year: 2024 -> '2024/25'."""
    return f"{year}/{(year + 1) % 100:02d}"


# --- SSDA903 header -----------------------------------------------------------------------------

ETHNIC = frozenset({
    "WBRI", "WIRI", "WOTH", "WIRT", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND",
    "APKN", "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
})  # fmt: skip
UPN_UNKNOWN_903 = frozenset({"UN1", "UN2", "UN3", "UN4", "UN5"})
SEX_903_OLD = frozenset({"1", "2"})  # up to 2023/24
SEX_NEW = frozenset({"M", "F", "U"})  # 903 SEX and CIN Sex from 2024/25
_NEW_SEX_CODING_FROM = 2024


def new_sex_coding(year: int) -> bool:
    """Whether a return for this collection year codes sex as M/F/U (else 1/2, or 0/1/2/9)."""
    return year >= _NEW_SEX_CODING_FROM


# --- SSDA903 missing ----------------------------------------------------------------------------

MISSING_TYPES = frozenset({"M", "A"})

# --- SSDA903 episodes ---------------------------------------------------------------------------

REASON_NEW_EPISODE = frozenset({"S", "L", "P", "T", "B", "U"})
PLACEMENT_RNE = frozenset({"S", "P", "T", "B", "U"})  # L: legal status change only
LEGAL_STATUS = frozenset(
    {"C1", "C2", "D1", "E1", "V2", "V3", "V4", "L1", "L2", "L3", "J1", "J2", "J3"}
)
CATEGORY_OF_NEED = frozenset(f"N{n}" for n in range(1, 9))
PLACEMENT_PROVIDERS = frozenset(f"PR{n}" for n in range(6))
TEMPORARY_PLACEMENTS = frozenset({"T0", "T1", "T2", "T3", "T4"})
NO_PROVIDER_PLACEMENTS = frozenset({"T0", "T1", "T2", "T3", "Z1", "Z11", "Z12", "Z13", "Z14"})
REASON_CEASED = frozenset({
    "X1", "E11", "E12", "E2", "E3", "E4A", "E4B", "E13", "E41", "E45", "E46",
    "E47", "E48", "E5", "E6", "E7", "E9", "E14", "E15", "E16", "E17", "E8",
})  # fmt: skip
REASON_PLACE_CHANGE = frozenset({
    "CARPL", "CLOSE", "ALLEG", "STAND", "APPRR", "CREQB",
    "CREQO", "CHILD", "LAREQ", "PLACE", "CUSTOD", "OTHER",
})  # fmt: skip
PL_LA_CONFIDENTIAL = "CON"  # 903 PL_LA of a confidential placement; the rest are area codes
PL_LOCATION = frozenset({"IN", "OUT"})

_PLACE_EVERY_YEAR = frozenset({
    "A3", "A4", "A5", "A6", "K1", "K2", "P1", "P3", "R1", "R2", "R3", "R5",
    "S1", "T0", "T1", "T2", "T3", "T4", "U1", "U2", "U3", "U4", "U5", "U6",
})  # fmt: skip
_PLACE_UP_TO_2024 = frozenset({"H5", "P2", "Z1"})
_PLACE_FROM_2024 = frozenset({"K3"})
_PLACE_FROM_2025 = frozenset({"Z11", "Z12", "Z13", "Z14"})
ALL_PLACEMENT_TYPES = _PLACE_EVERY_YEAR | _PLACE_UP_TO_2024 | _PLACE_FROM_2024 | _PLACE_FROM_2025


def placement_types_for(year: int) -> frozenset[str]:
    """The SSDA903 ``PLACE`` codes valid for episodes starting in this collection year."""
    codes = set(_PLACE_EVERY_YEAR)
    if year <= 2024:
        codes |= _PLACE_UP_TO_2024
    if year >= 2024:
        codes |= _PLACE_FROM_2024
    if year >= 2025:
        codes |= _PLACE_FROM_2025
    return frozenset(codes)


# --- return interviews (SSD ssd_missing, plus local extension fields) ---------------------------

RHI_FLAGS = frozenset({"Y", "N", "NA"})
RHI_CONDUCTED_BY = frozenset({"independent_worker", "social_worker", "other"})
RHI_ATTEMPT_METHODS = frozenset({"visit", "phone", "letter", "text", "email", "other"})

# --- CIN census ---------------------------------------------------------------------------------

CIN_UPN_UNKNOWN = frozenset({"UN1", "UN2", "UN3", "UN4", "UN5", "UN6", "UN7"})
CIN_GENDER_CURRENT = frozenset({"0", "1", "2", "9"})  # up to 2023/24

CIN_FACTORS = frozenset(
    [f"{n}{s}" for n in range(1, 7) for s in "ABC"]
    + ["7A", "8B", "8C", "8D", "8E", "8F", "9A", "10A", "11A", "12A", "13A", "14A", "15A"]
    + ["16A", "17A", "18B", "18C", "19B", "19C", "20", "21", "22A", "23A", "24A"]
)
LEGACY_CIN_FACTORS = frozenset({"18A", "19A"})
_LAST_LEGACY_FACTOR_YEAR = 2019  # 2019/20, the CIN census of 2020


def legacy_factors_allowed(year: int) -> bool:
    """Whether 18A/19A (split into 18B/18C and 19B/19C from 2020/21) are valid in this year."""
    return year <= _LAST_LEGACY_FACTOR_YEAR


# CIN factors to the canonical exploitation markers (reference §7.5). 13A (gangs) has no marker
# of its own but is shared alongside them; the other factors (parental drug misuse, mental
# health...) are about the family rather than exploitation, and are not passed on.
FACTOR_MARKERS: dict[str, str] = {
    "11A": "sexual_exploitation",
    "24A": "criminal_exploitation",
    "12A": "trafficking_modern_slavery",
    "10A": "missing",
    "19A": "sexual_abuse",
    "19B": "sexual_abuse",
    "19C": "sexual_abuse",
}
SHARED_FACTORS = frozenset(FACTOR_MARKERS) | {"13A"}


# 903 SEX and CIN GenderCurrent/Sex to the canonical M/F/U. GenderCurrent 0 ("not recorded or
# unborn") and 9 ("indeterminate") both become U, as the 2024/25 coding records them.
SEX_FROM_CODE: dict[str, Sex] = {
    "1": Sex.MALE,
    "2": Sex.FEMALE,
    "0": Sex.UNKNOWN,
    "9": Sex.UNKNOWN,
    "M": Sex.MALE,
    "F": Sex.FEMALE,
    "U": Sex.UNKNOWN,
}
