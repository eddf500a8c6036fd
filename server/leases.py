"""Leases: one agent process at a time acts for an agent id, fenced by an epoch that only goes up.

An agent process asks for its agent id's lease before it touches the broker (``POST /api/v1/agents/{id}/lease``)
and renews it every ``ttl / 6`` seconds. The server grants a new epoch only when no other process holds a live
lease: the old one lapsed (``ttl`` seconds after its last renewal reached the server), was released (a clean
stop), or the asking process holds the old holder's terminal lock (``lock_domain``: an OS file lock the old
holder kept for its whole life, which the OS released when it died, so it cannot send any more). Claims need a
live lease of the caller's epoch; results, hand-backs and snapshots need the caller's epoch to be the newest; a
request of an older epoch is refused with a sentence (:class:`contract.LeaseRefusal`).

Why the old holder cannot still send when a new epoch is granted (docs/architecture.md, "Fencing"): the holder
counts its lease from when it *sent* the renewal, stops starting broker writes ``margin = ttl / 6`` seconds before
the lease would lapse on the server, and its watchdog ends the process if a write is still running then. The server
counts from when the renewal *arrived*, which is later.

Liveness is kept in memory on the server's monotonic clock (immune to wall-clock steps); the table keeps the
newest epoch and its holder across restarts. After a server start every stored lease counts as renewed at the start,
so a holder that outlived the server keeps its lease and nobody else gets it earlier than ``ttl`` after the start.
Everything here runs in the writer thread, inside ops (:mod:`server.writer`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from contract import LeaseGrant, LeaseRefusal, LeaseRequest
from server.db import sql_time
from server.writer import WriteTx

logger = logging.getLogger(__name__)

#: Seconds a lease lasts after its last renewal reached the server, unless the settings say otherwise.
DEFAULT_TTL_SECONDS = 30.0

#: The holder stops sending this share of the TTL before its lease would lapse on the server (and renews six times
#: per TTL), so a renewal may be late or lost four times in a row before the holder stops.
MARGIN_SHARE = 1 / 6


@dataclass(frozen=True)
class Lease:
    """One agent id's lease as the server sees it. ``expires`` is on the server's :func:`time.monotonic` clock."""

    agent_id: str
    epoch: int
    holder: str | None
    host: str
    pid: int
    lock_domain: str | None
    expires: float
    released: bool = False

    def live(self, now: float) -> bool:
        """True while a holder may act under it."""
        return self.holder is not None and not self.released and now <= self.expires


class Leases:
    """The lease of every agent id (writer thread only; :meth:`peek` may be called from anywhere).

    ``ttl`` seconds per renewal; ``clock`` is monotonic seconds (injectable for tests).
    """

    def __init__(self, ttl: float = DEFAULT_TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = float(ttl)
        self.margin = self.ttl * MARGIN_SHARE
        self._clock = clock
        self._started = clock()
        self._by_agent: dict[str, Lease] = {}
        #: Called (writer thread) with ``(agent_id, epoch)`` whenever a new epoch is granted.
        self.on_new_epoch: list[Callable[[WriteTx, str, int], None]] = []

    def now(self) -> float:
        """The server's monotonic time."""
        return self._clock()

    def peek(self, agent_id: str) -> Lease | None:
        """The lease as last known in memory (no database read; ``None`` when not loaded yet)."""
        return self._by_agent.get(agent_id)

    def current(self, tx: WriteTx, agent_id: str) -> Lease | None:
        """The agent id's lease, loaded from the table the first time (a stored one counts as renewed at the server's
        start: see the module docstring)."""
        lease = self._by_agent.get(agent_id)
        if lease is not None:
            return lease
        row = tx.execute(
            "SELECT epoch, holder, host, pid, lock_domain, released_at FROM agent_leases WHERE agent_id = ?",
            (agent_id,),
        ).fetchone()
        if row is None:
            return None
        epoch, holder, host, pid, lock_domain, released_at = row
        lease = Lease(agent_id, int(epoch), holder, host or "", int(pid or 0), lock_domain,
                      self._started + self.ttl, released=released_at is not None)
        self._set(tx, lease)
        return lease

    def live_epoch(self, tx: WriteTx, agent_id: str) -> int | None:
        """The epoch of the agent id's live lease, or ``None`` when nobody holds one."""
        lease = self.current(tx, agent_id)
        return lease.epoch if lease is not None and lease.live(self._clock()) else None

    def grant(self, tx: WriteTx, agent_id: str, ask: LeaseRequest) -> LeaseGrant | LeaseRefusal:
        """Grant, renew or refuse ``ask`` for ``agent_id`` (see the module docstring for the rules)."""
        now = self._clock()
        lease = self.current(tx, agent_id)
        mine = lease is not None and lease.holder == ask.holder and not lease.released
        if ask.epoch is not None:  # a renewal
            if lease is not None and mine and lease.epoch == ask.epoch:
                return self._renew(tx, lease, ask, now)
            return self._taken_over(agent_id, ask.epoch, lease, now)
        if lease is not None and mine:  # the answer to an earlier ask was lost: the same grant again
            return self._renew(tx, lease, ask, now)
        same_pc = (
            lease is not None and ask.lock_held and ask.lock_domain is not None
            and lease.lock_domain == ask.lock_domain
        )
        if lease is None or not lease.live(now) or same_pc:
            return self._new_epoch(tx, agent_id, ask, lease, now)
        assert lease is not None
        where = f"on {lease.host} (pid {lease.pid})" if lease.host else f"(pid {lease.pid})"
        left = max(0.0, lease.expires - now)
        return LeaseRefusal(
            sentence=(
                f"Another agent process {where} holds agent id '{agent_id}': this one waits for its lease (up to "
                f"{left:.0f} s more if it stopped answering, at once if it stops cleanly), so that only one sends "
                f"orders to the terminal."
            ),
            holder=lease.holder, host=lease.host, pid=lease.pid, epoch=lease.epoch, retry_in=min(left, self.margin),
        )

    def release(self, tx: WriteTx, agent_id: str, epoch: int, holder: str) -> bool:
        """End the holder's lease now (a clean stop): another process may take over at once. False when it was not
        the holder's any more."""
        lease = self.current(tx, agent_id)
        if lease is None or lease.epoch != epoch or lease.holder != holder or lease.released:
            return False
        tx.execute("UPDATE agent_leases SET released_at = ? WHERE agent_id = ?", (sql_time(tx.now), agent_id))
        self._set(tx, replace(lease, released=True))
        logger.info("agent %s released its lease (epoch %s)", agent_id, epoch)
        return True

    def check(self, tx: WriteTx, agent_id: str, epoch: int, *, live: bool) -> LeaseRefusal | None:
        """``None`` when ``epoch`` is the agent id's newest (and, with ``live``, not lapsed); else the refusal."""
        now = self._clock()
        lease = self.current(tx, agent_id)
        if lease is None or lease.epoch != epoch or lease.released:
            return self._taken_over(agent_id, epoch, lease, now)
        if live and not lease.live(now):
            return LeaseRefusal(
                sentence=(
                    f"This agent process's lease on agent id '{agent_id}' lapsed {now - lease.expires:.1f} s ago "
                    f"(its renewals did not arrive): it takes no job until it has renewed it."
                ),
                holder=lease.holder, host=lease.host, pid=lease.pid, epoch=lease.epoch, retry_in=0.0,
            )
        return None

    def _renew(self, tx: WriteTx, lease: Lease, ask: LeaseRequest, now: float) -> LeaseGrant:
        renewed = replace(lease, expires=now + self.ttl, host=ask.host or lease.host, pid=ask.pid or lease.pid)
        tx.execute("UPDATE agent_leases SET renewed_at = ? WHERE agent_id = ?", (sql_time(tx.now), lease.agent_id))
        self._set(tx, renewed)
        return LeaseGrant(agent_id=lease.agent_id, epoch=lease.epoch, ttl_seconds=self.ttl,
                          margin_seconds=self.margin)

    def _new_epoch(
        self, tx: WriteTx, agent_id: str, ask: LeaseRequest, old: Lease | None, now: float
    ) -> LeaseGrant:
        row = tx.execute("SELECT epoch FROM agent_leases WHERE agent_id = ?", (agent_id,)).fetchone()
        epoch = (int(row[0]) if row is not None else 0) + 1
        when = sql_time(tx.now)
        tx.execute(
            """
            INSERT INTO agent_leases (agent_id, epoch, holder, host, pid, lock_domain, granted_at, renewed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(agent_id) DO UPDATE SET epoch = excluded.epoch, holder = excluded.holder,
                host = excluded.host, pid = excluded.pid, lock_domain = excluded.lock_domain,
                granted_at = excluded.granted_at, renewed_at = excluded.renewed_at, released_at = NULL
            """,
            (agent_id, epoch, ask.holder, ask.host, ask.pid, ask.lock_domain, when, when),
        )
        self._set(tx, Lease(agent_id, epoch, ask.holder, ask.host, ask.pid, ask.lock_domain, now + self.ttl))
        took_over = old is not None and old.holder is not None and not old.released
        if took_over:
            assert old is not None
            how = "its terminal lock was free" if old.live(now) else "the old lease had lapsed"
            logger.warning(
                "agent %s: lease epoch %s for pid %s on %s replaces epoch %s of pid %s on %s (%s)",
                agent_id, epoch, ask.pid, ask.host, old.epoch, old.pid, old.host, how,
            )
        for listener in self.on_new_epoch:
            listener(tx, agent_id, epoch)
        return LeaseGrant(agent_id=agent_id, epoch=epoch, ttl_seconds=self.ttl, margin_seconds=self.margin,
                          took_over=took_over)

    def _taken_over(self, agent_id: str, epoch: int, lease: Lease | None, now: float) -> LeaseRefusal:
        if lease is not None and lease.epoch > epoch and lease.holder is not None:
            where = f"on {lease.host} (pid {lease.pid})" if lease.host else f"(pid {lease.pid})"
            sentence = (
                f"Another agent process {where} took over agent id '{agent_id}' (lease {lease.epoch}; this one held "
                f"lease {epoch}): this one sends nothing more and waits; what it claimed is reconciled by the new "
                f"holder at the broker, by each order's comment."
            )
        else:
            sentence = (
                f"This agent process does not hold agent id '{agent_id}' (lease {epoch} is not the current one): it "
                f"sends nothing and asks for the lease again."
            )
        if lease is None:
            return LeaseRefusal(sentence=sentence)
        left = max(0.0, lease.expires - now)
        return LeaseRefusal(
            sentence=sentence, holder=lease.holder, host=lease.host, pid=lease.pid, epoch=lease.epoch,
            retry_in=None if math.isinf(left) else left,
        )

    def _set(self, tx: WriteTx, lease: Lease) -> None:
        before = self._by_agent.get(lease.agent_id)
        self._by_agent[lease.agent_id] = lease

        def undo() -> None:
            if before is None:
                self._by_agent.pop(lease.agent_id, None)
            else:
                self._by_agent[lease.agent_id] = before

        tx.on_undo(undo)
