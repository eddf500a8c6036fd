"""The lease: which one agent process may act for an agent id (its terminal and account) right now.

Only one process may ever send orders for an agent id. The server grants a lease to one process at a time and
numbers every grant with an **epoch** that only goes up; the process sends its epoch with every later request
(:data:`LEASE_HEADER`), and a claim, a result, a hand-back or a snapshot from an older epoch is refused with 423
and a sentence (fencing). The holder renews the lease well before it lapses; a holder that cannot renew stops
sending on its own before the server may hand the lease to another process (docs/architecture.md, "Fencing").
"""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, ConfigDict, Field

#: HTTP header an agent sends its lease epoch in, with every request but the lease request itself.
LEASE_HEADER: Final = "X-TVBridge-Lease"

#: The status the server answers a request of a process that does not hold the agent id's lease.
LEASE_REFUSED: Final = 423


class LeaseRequest(BaseModel):
    """An agent process asking for (or renewing) the lease of its agent id: ``POST /api/v1/agents/{id}/lease``.

    ``holder`` names the process (a random id per process start); ``epoch`` the lease it renews (``None``: a new
    grant is asked for). ``host``/``pid`` are for the sentences people read. ``lock_domain`` names the folder whose
    terminal lock (an OS file lock held for the process's lifetime) the process holds, ``lock_held`` says it holds
    it: the server hands a live lease of the same ``lock_domain`` over at once, because the OS released the old
    holder's lock, so the old holder is dead and cannot send any more.
    """

    model_config = ConfigDict(extra="forbid")

    holder: str = Field(min_length=8, max_length=64)
    epoch: int | None = Field(default=None, ge=1, lt=2**63)
    host: str = Field(default="", max_length=255)
    pid: int = Field(default=0, ge=0, lt=2**31)
    lock_domain: str | None = Field(default=None, max_length=64)
    lock_held: bool = False


class LeaseGrant(BaseModel):
    """The lease granted or renewed: ``epoch`` to send with every request; it lapses ``ttl_seconds`` after the
    server received the request (the holder counts from when it *sent* it, and stops sending ``margin_seconds``
    before that). ``took_over`` says a new epoch replaced another process's lease (the holder must then reconcile
    the jobs claimed under it before anything else)."""

    agent_id: str
    epoch: int
    ttl_seconds: float
    margin_seconds: float
    took_over: bool = False


class LeaseRefusal(BaseModel):
    """Why a request was refused (423): ``sentence`` for the log; ``holder``/``host``/``pid`` of the process that
    holds the lease now (when one does); ``retry_in`` seconds until it may lapse."""

    sentence: str
    holder: str | None = None
    host: str | None = None
    pid: int | None = None
    epoch: int | None = None
    retry_in: float | None = None
