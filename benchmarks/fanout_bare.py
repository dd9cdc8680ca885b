"""The baseline for chat_fanout.py: a bare WebSocket broadcast server written for the benchmark.

    python benchmarks/fanout_bare.py --port 9000 --spec spec.json

No framework, no database, no authentication beyond a dict lookup: the `websockets` library's asyncio server
on one process. Clients connect with `Authorization: Bearer <token>` (the spec maps tokens to members) and get
a hello frame; a poster sends `{"post": "<channel>", "body": "…", "pad": N}` on its own socket and the server
builds one frame — a `message.created` of about the size Kiban sends — serializes it once and broadcasts it
to every socket of the channel's members with `websockets.broadcast`. This is the floor Kiban's delivery is
compared with: the same load generator, the same frames, only the server differs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from websockets import broadcast
from websockets.asyncio.server import serve


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--spec", required=True, help="JSON: {tokens: {token: member}, channels: {name: [member]}}"
    )
    args = parser.parse_args()
    with open(args.spec, encoding="utf-8") as handle:
        spec = json.load(handle)
    asyncio.run(run(args.port, spec["tokens"], {k: list(v) for k, v in spec["channels"].items()}))


async def run(port: int, tokens: dict[str, int], channels: dict[str, list[int]]) -> None:
    by_member: dict[int, set] = {}
    counter = 0

    async def handler(ws) -> None:
        nonlocal counter
        header = ws.request.headers.get("Authorization", "")
        member = tokens.get(header.removeprefix("Bearer ").strip())
        if member is None and header != "Bearer poster":
            await ws.close(4401)
            return
        if member is not None:
            by_member.setdefault(member, set()).add(ws)
        await ws.send('{"type":"hello","last_id":0}')
        try:
            async for text in ws:
                if not isinstance(text, str) or not text.startswith('{"post"'):
                    continue
                data = json.loads(text)
                counter += 1
                frame = json.dumps(
                    {
                        "id": counter,
                        "type": "message.created",
                        "message": {
                            "id": counter,
                            "conversation": 1,
                            "seq": counter,
                            "author": "b00000",
                            "body": data["body"],
                            "created_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
                            "pad": "x" * int(data.get("pad", 0)),
                        },
                    },
                    ensure_ascii=False,
                    separators=(",", ":"),
                )
                targets = [sock for m in channels[data["post"]] for sock in by_member.get(m, ())]
                broadcast(targets, frame)
        finally:
            if member is not None:
                by_member[member].discard(ws)

    async with serve(
        handler, "127.0.0.1", port, compression=None, ping_interval=20, ping_timeout=20, max_size=2**20
    ) as server:
        await server.serve_forever()


if __name__ == "__main__":
    main()
