"""The offline queue of a simulated charger (the `offline_queue` habit).

While the connection is down a real charger keeps the transaction-related messages it could not
send (StopTransaction, MeterValues of a transaction; 2.x TransactionEvent) and sends them, in
order and with their original timestamps, once it is connected again (1.6 section 4.8, 2.x
E04). Each queued message is a coroutine function that sends it through the protocol layer of
whatever connection is open at replay time, with the 2.x `offline` flag set.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import logging
from typing import TYPE_CHECKING, Any

from ocpp.exceptions import OCPPError

if TYPE_CHECKING:
    from simulator.protocol import ProtocolLayer

LOGGER = logging.getLogger(__name__)

# Sends one message through a layer; the flag tells whether it goes out late (2.x `offline`).
type Sender = Callable[[ProtocolLayer, bool], Awaitable[Any]]


@dataclass(frozen=True)
class QueuedMessage:
    """A message that waits for the connection: its action (for logs and tests) and sender."""

    action: str
    send: Sender


class OfflineQueue:
    """Messages kept while offline, replayed in order by `flush`."""

    def __init__(self, charge_point_id: str) -> None:
        """Start empty."""
        self.charge_point_id = charge_point_id
        self.messages: deque[QueuedMessage] = deque()
        self._lock = asyncio.Lock()

    def __len__(self) -> int:
        """How many messages wait."""
        return len(self.messages)

    def append(self, action: str, send: Sender) -> None:
        """Keep a message for later."""
        LOGGER.info("%s: offline, %s queued", self.charge_point_id, action)
        self.messages.append(QueuedMessage(action, send))

    def actions(self) -> list[str]:
        """The actions waiting, oldest first."""
        return [message.action for message in self.messages]

    async def flush(self, layer: Callable[[], ProtocolLayer]) -> int:
        """Send the waiting messages in order through `layer()`; return how many left the queue.

        A message the CSMS answers with a CALLERROR, or not at all, is dropped after logging
        (real chargers give up after TransactionMessageAttempts), as is one the layer cannot
        express (ValueError). A lost connection stops the
        replay and keeps the rest. One replay runs at a time.
        """
        sent = 0
        async with self._lock:
            while self.messages:
                message = self.messages[0]
                try:
                    await message.send(layer(), True)
                except ConnectionError:
                    break
                except (OCPPError, TimeoutError, ValueError) as err:
                    LOGGER.warning(
                        "%s: queued %s dropped: %s", self.charge_point_id, message.action, err
                    )
                self.messages.popleft()
                sent += 1
        return sent
