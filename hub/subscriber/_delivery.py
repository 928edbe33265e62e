"""What the agency is handed: a :class:`Delivery`, opened and checked from one broker message.

Rules:

1. The envelope is verified and opened first (:meth:`hub.crypto.KeyMaterial.open_delivery`:
   the hub's signature, the recipient in the envelope, then HPKE with the agency's own key).
   A failed check raises :class:`~hub.InvalidMessage`; its ``reason`` says which.
2. Only then is the plaintext parsed as a :class:`~hub.messages.DeliveredNotification`, and its
   ``recipient`` must be the agency reading it. Either failure raises
   :class:`~hub.UnreadableDelivery`, which never carries the plaintext (nor pydantic's error,
   which quotes input values).
3. ``replayed`` comes from the AMQP header ``sehub-replay`` (:data:`REPLAY_HEADER`), which the
   hub sets to ``"true"`` on a copy it sends again because the agency asked. Any other value,
   or none, is a first delivery.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pydantic import ValidationError

from hub._exceptions import UnreadableDelivery
from hub.crypto import KeyMaterial
from hub.messages import REPLAY_HEADER, DeliveredNotification

__all__ = ["REPLAY_HEADER", "Delivery", "is_replay", "open_message"]


class Delivery(DeliveredNotification):
    """One delivery as the agency is handed it: the hub's document, and whether it is a replay."""

    replayed: bool = False


def is_replay(headers: Mapping[str, object]) -> bool:
    """Whether the AMQP headers mark the copy as replayed (rule 3)."""
    value = headers.get(REPLAY_HEADER)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return value == "true"


def open_message(
    keys: KeyMaterial, agency_id: str, body: bytes, *, replayed: bool, now: datetime
) -> Delivery:
    """Verify, open and parse one message addressed to ``agency_id`` (rules 1 and 2)."""
    contents = keys.open_delivery(agency_id, body, now=now)
    try:
        document = DeliveredNotification.model_validate_json(contents.plaintext)
    except ValidationError:
        # from None: the validation error quotes the plaintext, which is personal data
        raise UnreadableDelivery("the message is not a valid delivery") from None
    if document.recipient != agency_id:
        raise UnreadableDelivery("the message is addressed to another agency")
    return Delivery.model_construct(**dict(document), replayed=replayed)
