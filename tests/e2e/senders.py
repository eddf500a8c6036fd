"""Many TradingView senders at once: plain HTTP/1.1 over asyncio streams, one keep-alive connection per sender.

httpx's async client spends more time managing its pool than the server spends answering when 50 requests are in
flight together, which would measure the client, not tvbridge. This client does nothing but write a request and
read its answer; each answer's time is taken from just before the write to the last byte read.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Answer:
    """One webhook answer: HTTP status, JSON body, and seconds from sending to the last byte of the answer."""

    status: int
    body: dict[str, Any]
    seconds: float


async def _sender(
    host: str, port: int, path: str, bodies: list[bytes], limit: float, partial: bool
) -> list[Answer]:
    answers: list[Answer] = []
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        if partial:
            return answers
        raise
    try:
        for body in bodies:
            started = time.perf_counter()
            writer.write(
                b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
                % (path.encode(), host.encode(), len(body), body)
            )
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), limit)
            lines = head.decode("latin-1").split("\r\n")
            length = next(int(v) for k, _, v in (x.partition(":") for x in lines[1:]) if k.lower() == "content-length")
            payload = await asyncio.wait_for(reader.readexactly(length), limit)
            answers.append(Answer(int(lines[0].split()[1]), json.loads(payload), time.perf_counter() - started))
    except (OSError, asyncio.IncompleteReadError):
        if not partial:
            raise
    finally:
        writer.close()
    return answers


def post_concurrently(
    host: str, port: int, path: str, bodies: list[bytes], senders: int, timeout: float = 30.0, *, partial: bool = False
) -> list[Answer]:
    """Post ``bodies`` to ``path`` from ``senders`` concurrent connections (body ``i`` goes to sender
    ``i % senders``, each sender posting its share one after the other); the answers in body order.

    ``partial``: a sender whose connection breaks stops there (the server was killed), and only the answers read
    until then are returned, in no particular order.
    """
    shares = [bodies[k::senders] for k in range(senders)]

    async def run() -> list[list[Answer]]:
        return list(await asyncio.gather(*(_sender(host, port, path, share, timeout, partial) for share in shares)))

    per_sender = asyncio.run(run())
    if partial:
        return [a for answers in per_sender for a in answers]
    return [per_sender[i % senders][i // senders] for i in range(len(bodies))]
