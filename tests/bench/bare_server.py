"""The ceiling: a bare `websockets` broadcast server speaking a subset of our /ws protocol.

No database, no auth, no visibility checks: `subscribe` puts the socket in a room, `send`
relays the body to every socket in that room as an `event` frame (with a per-room seq, as
ours carries) and acks the sender. The benchmark drives it with the same clients as the
forum, so the ratio between the two is what persistence, auth and our hub cost.

    python -m tests.bench.bare_server --port 8765
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from collections import defaultdict

from websockets.asyncio.server import ServerConnection, broadcast, serve

# The same frame limit the forum's server applies (forum.cli serve: ws_max_size).
MAX_FRAME = 64 * 1024

rooms: dict[str, set[ServerConnection]] = defaultdict(set)
seqs: dict[str, int] = defaultdict(int)


async def handler(ws: ServerConnection) -> None:
    joined: set[str] = set()
    try:
        async for raw in ws:
            try:
                frame = json.loads(raw)
                op, topic = frame["op"], frame.get("topic", "")
            except (ValueError, KeyError, TypeError, AttributeError):
                await ws.send('{"op":"error","code":"bad_request","detail":"not a frame"}')
                continue
            if op == "subscribe":
                rooms[topic].add(ws)
                joined.add(topic)
                await ws.send(json.dumps({"op": "subscribed", "topic": topic, "seq": seqs[topic]}))
            elif op == "unsubscribe":
                rooms[topic].discard(ws)
                joined.discard(topic)
            elif op == "send":
                seqs[topic] += 1
                seq = seqs[topic]
                event = {
                    "op": "event",
                    "topic": topic,
                    "seq": seq,
                    "type": "message.created",
                    "data": {"body": frame.get("body", ""), "client_id": frame.get("client_id")},
                }
                # Encoded once, written to every socket without waiting for any of them.
                broadcast(rooms[topic], json.dumps(event))
                await ws.send(json.dumps({"op": "ack", "client_id": frame.get("client_id"), "seq": seq}))
            elif op == "ping":
                await ws.send('{"op":"pong"}')
    finally:
        for topic in joined:
            rooms[topic].discard(ws)


async def main(host: str, port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(
        handler, host, port, max_size=MAX_FRAME, ping_interval=20, ping_timeout=20, backlog=4096
    ):
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    try:
        import uvloop  # the forum's server runs on uvloop too (uvicorn[standard])

        uvloop.run(main(args.host, args.port))
    except ImportError:
        asyncio.run(main(args.host, args.port))
