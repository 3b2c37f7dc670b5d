"""The floor of the load benchmark: a bare OCPP-J 1.6 answering machine on `websockets`.

``python benchmarks/floor_server.py PORT``

It accepts every charger (subprotocol ocpp1.6, no authentication), parses each frame with
`json` and answers every CALL with a minimal valid CALLRESULT (BootNotification Accepted,
StartTransaction with a new transaction id, an empty object for MeterValues and
StatusNotification, ...). No schema validation, no state, no logging: what any central system
on this transport must at least spend per frame. `benchmarks/suite.py` runs it in a child
process and measures its CPU time like Home Assistant's. It prints ``ready`` once it listens
and runs until SIGTERM.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
import itertools
import json
import signal
import sys
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

CALL, CALLRESULT = 2, 3
_transaction_ids = itertools.count(1)


def answer(action: str) -> dict[str, Any]:
    """The payload of a valid 1.6 CALLRESULT to `action`."""
    match action:
        case "BootNotification":
            now = datetime.now(UTC).isoformat()
            return {"status": "Accepted", "currentTime": now, "interval": 300}
        case "Heartbeat":
            return {"currentTime": datetime.now(UTC).isoformat()}
        case "StartTransaction":
            return {"transactionId": next(_transaction_ids), "idTagInfo": {"status": "Accepted"}}
        case "StopTransaction" | "Authorize":
            return {"idTagInfo": {"status": "Accepted"}}
        case _:  # MeterValues, StatusNotification, DataTransfer, ...
            return {}


async def handle(ws: ServerConnection) -> None:
    """Answer every CALL of one charger until it goes."""
    try:
        async for frame in ws:
            message = json.loads(frame)
            if message[0] == CALL:
                await ws.send(json.dumps([CALLRESULT, message[1], answer(message[2])]))
    except ConnectionClosed:
        pass


async def main(port: int) -> None:
    """Serve on 127.0.0.1:`port` until SIGTERM or SIGINT."""
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(
        handle,
        "127.0.0.1",
        port,
        subprotocols=[Subprotocol("ocpp1.6")],
        compression=None,
        max_size=2**20,
    ):
        print("ready", flush=True)
        await stop


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
