"""UPNs from councils newer than python-stdnum's LA list are accepted on their check letter."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from stdnum.gb import upn

from schemas import PersonRef


def _upn(la: str) -> str:
    body = f"{la}00010001" + "1"
    return upn.calc_check_digit(body) + body


@pytest.mark.parametrize("la", ["838", "839", "940", "941", "942", "943"])
def test_a_upn_from_a_reorganised_council_is_valid(la: str) -> None:
    """A UPN from Dorset, BCP, Northamptonshire, Cumberland or Westmorland is accepted."""
    assert PersonRef(local_id="p-1", resident_la="929", upn=_upn(la)).upn == _upn(la)


@pytest.mark.parametrize("la", ["838", "943"])
def test_a_wrong_check_letter_is_still_refused(la: str) -> None:
    """The check letter is still checked for those councils."""
    good = _upn(la)
    wrong = ("B" if good[0] != "B" else "C") + good[1:]
    with pytest.raises(ValidationError):
        PersonRef(local_id="p-1", resident_la="929", upn=wrong)


def test_an_unknown_council_number_is_refused() -> None:
    """A UPN whose LA number is no council's is refused even with a right check letter."""
    with pytest.raises(ValidationError):
        PersonRef(local_id="p-1", resident_la="929", upn=_upn("950"))
