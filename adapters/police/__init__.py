"""Police adapter: APP missing-person reports, crime records with HOCR flags, concern notices.

Maps a force's native records (field names as proposed in reference §7.2) to canonical
``missing_episode.started`` / ``missing_episode.ended`` and ``concern.raised`` notifications.
The rules are stated in :mod:`adapters.police._mapping` (what maps to what) and
:mod:`adapters.police._records` (what a valid record is).
"""

from adapters.police._mapping import PoliceAdapter
from adapters.police._records import ConcernNotice, CrimeRecord, MissingPersonReport

__all__ = ["ADAPTER", "ConcernNotice", "CrimeRecord", "MissingPersonReport", "PoliceAdapter"]

ADAPTER = PoliceAdapter()
