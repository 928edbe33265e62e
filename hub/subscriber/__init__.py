"""The subscriber library: how an agency reads its own notifications from its queue, for days.

::

    inbox = SqliteInbox(Path("var/police-inbox.sqlite"))
    async with Subscriber(amqp_url, "northumbria-police", keys_dir=keys, inbox=inbox) as sub:
        while True:
            try:
                async with sub.receive(timeout=30) as delivery:
                    await handle(delivery.event, delivery.receipt)  # the agency's own code
                    await sub.acknowledge(delivery, "received", by="duty-desk-system")
            except (TimeoutError, BrokerUnavailable):
                continue  # nothing yet, or the broker is away: the connection comes back by itself
            except UnreadableDelivery:
                continue  # dead-lettered: it can never be read (it says which check failed)
            except Exception:
                await asyncio.sleep(5)  # handle or acknowledge failed: the delivery comes back

Every delivery is a sealed envelope (docs/wire-format.md): the hub's signature is verified,
then the view is opened with the agency's own private key, before anything is parsed. Leaving
the block cleanly records the delivery in the inbox and acknowledges it; an exception keeps it,
and the next ``receive`` hands it again. A delivery already in the inbox is skipped unless the
hub replayed it. ``_subscriber`` states the rules and the crash windows; docs/integration.md
is the integrator's guide. An agency that consumes with its own AMQP client can still open each
message with :func:`open_message` (and read the replay mark with :func:`is_replay`). After an
outage that lost data, :func:`request_replay` asks the hub to send the agency's copies again.
"""

from hub._exceptions import UnreadableDelivery
from hub.subscriber._delivery import REPLAY_HEADER, Delivery, is_replay, open_message
from hub.subscriber._inbox import Inbox, MemoryInbox, SqliteInbox
from hub.subscriber._replay import request_replay
from hub.subscriber._retry import KEY_STATES, KeyRetry, KeyWait
from hub.subscriber._subscriber import Subscriber

__all__ = [
    "KEY_STATES",
    "REPLAY_HEADER",
    "Delivery",
    "Inbox",
    "KeyRetry",
    "KeyWait",
    "MemoryInbox",
    "SqliteInbox",
    "Subscriber",
    "UnreadableDelivery",
    "is_replay",
    "open_message",
    "request_replay",
]
