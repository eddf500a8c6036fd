"""The agent's half of the lease: get it, keep it, and stop sending on its own before it could lapse.

The server grants an agent id's lease to one process at a time (server/leases.py, :mod:`contract.lease`). The
holder renews it every ``ttl / 6`` seconds from a thread of its own. It counts the lease from the moment it *sent*
the renewal, minus a margin (``ttl / 6``): the server counts from when the renewal *arrived*, so the holder's
validity always ends before the server may grant the lease to another process, whatever the network delay. Broker
writes start only while the lease is valid and are ended with the process if they run past its validity
(:mod:`agent.watchdog`). So when another process gets the lease, this one has stopped sending.

A renewal the server refuses because another process took over sets :attr:`LeaseKeeper.lost`: the agent drops
what it claimed (the new holder reconciles it at the broker) and waits for the lease again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable

import httpx

from agent.client import ContractMismatch, Fenced, ServerClient
from contract import LeaseGrant, LeaseRefusal, LeaseRequest

logger = logging.getLogger(__name__)

#: Seconds between two asks while the server cannot be reached.
UNREACHABLE_RETRY = 1.0


class LeaseKeeper:
    """Gets and keeps ``client``'s agent id's lease for this process.

    ``lock_domain``/``lock_held``: the terminal lock this process holds (:mod:`agent.terminal_lock`), which lets
    the server hand over at once the lease of a dead predecessor on this computer. ``on_renewed`` is called after
    each renewal (the watchdog moves its write deadlines). ``clock`` is monotonic seconds (injectable for tests).
    """

    def __init__(
        self,
        client: ServerClient,
        *,
        lock_domain: str | None = None,
        lock_held: bool = False,
        on_renewed: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.holder = uuid.uuid4().hex
        self.lock_domain = lock_domain
        self.lock_held = lock_held
        self.on_renewed = on_renewed
        self._clock = clock
        self.epoch: int | None = None
        self._valid_until = float("-inf")
        self._renew_every = 5.0
        #: Set when another process took the lease over: this one sends nothing more.
        self.lost = threading.Event()
        self._renewed = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def agent_id(self) -> str:
        """The agent id the lease is for."""
        return self.client.agent_id

    def valid_until(self) -> float:
        """When this process must have stopped sending (monotonic seconds; ``-inf`` without a lease)."""
        return float("-inf") if self.lost.is_set() else self._valid_until

    def valid(self) -> bool:
        """True while this process may send."""
        return self._clock() < self.valid_until()

    def wait_valid(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the lease to be valid (a renewal that was late); False when not."""
        deadline = self._clock() + timeout
        with self._renewed:
            while not self.valid():
                left = deadline - self._clock()
                if left <= 0 or self.lost.is_set():
                    return False
                self._renewed.wait(min(left, 0.5))
        return True

    def acquire(self, stopping: Callable[[], bool]) -> LeaseGrant | None:
        """Block until the lease is this process's (the grant) or ``stopping()`` (``None``). While another process
        holds it, say so in the log (once per holder)."""
        said: str | None = None
        unreachable: str | None = None
        while not stopping():
            sent = self._clock()
            try:
                grant = self.client.take_lease(self._ask(None))
            except Fenced as exc:
                if said != exc.refusal.holder:
                    said = exc.refusal.holder
                    logger.warning("%s", exc.refusal.sentence)
                wait = exc.refusal.retry_in if exc.refusal.retry_in is not None else 1.0
                self._stop.wait(min(max(wait, 0.2), 2.0))
                continue
            except (httpx.HTTPError, ContractMismatch) as exc:
                if unreachable != str(exc):  # once per reason: the server may be down for a while
                    unreachable = str(exc)
                    logger.warning("cannot ask the server for the lease of agent id '%s' (%s); retrying every "
                                   "second", self.agent_id, exc)
                self._stop.wait(UNREACHABLE_RETRY)
                continue
            self._granted(grant, sent)
            self.lost.clear()
            if grant.took_over:
                logger.warning(
                    "This agent process took over agent id '%s' (lease %s): it reconciles what the previous one left "
                    "claimed before it sends anything.", self.agent_id, grant.epoch,
                )
            else:
                logger.info("This agent process holds agent id '%s' (lease %s).", self.agent_id, grant.epoch)
            return grant
        return None

    def start(self) -> None:
        """Renew from a thread of its own until :meth:`stop`."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="lease", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop renewing."""
        self._stop.set()

    def release(self) -> None:
        """Give the lease back (a clean stop, after the broker was closed): a waiting agent takes over at once."""
        self.stop()
        if self.epoch is None or self.lost.is_set():
            return
        try:
            self.client.release_lease(self.holder)
        except (httpx.HTTPError, ContractMismatch, Fenced) as exc:
            logger.info("the lease was not given back (%s); it lapses by itself", exc)
        self._valid_until = float("-inf")

    def refused(self, refusal: LeaseRefusal) -> None:
        """The server refused a request of this process: when a newer lease exists, this one is lost."""
        if self.epoch is not None and refusal.epoch is not None and refusal.epoch > self.epoch:
            self._lose(refusal.sentence)

    def _ask(self, epoch: int | None) -> LeaseRequest:
        return LeaseRequest(
            holder=self.holder, epoch=epoch, host=socket.gethostname()[:255], pid=os.getpid(),
            lock_domain=self.lock_domain, lock_held=self.lock_held,
        )

    def _granted(self, grant: LeaseGrant, sent: float) -> None:
        with self._renewed:
            if grant.epoch != self.epoch:
                self.client.set_epoch(grant.epoch)
                self.epoch = grant.epoch
            self._valid_until = sent + grant.ttl_seconds - grant.margin_seconds
            self._renew_every = max(0.2, grant.margin_seconds)
            self._renewed.notify_all()
        self.on_renewed()

    def _run(self) -> None:
        failures = 0
        while not self._stop.wait(self._renew_every if failures == 0 else min(self._renew_every, UNREACHABLE_RETRY)):
            if self.lost.is_set() or self.epoch is None:
                continue
            sent = self._clock()
            try:
                grant = self.client.take_lease(self._ask(self.epoch), timeout=max(1.0, self._renew_every))
            except Fenced as exc:
                self._lose(exc.refusal.sentence)
                continue
            except (httpx.HTTPError, ContractMismatch) as exc:
                failures += 1
                if failures == 1 or not self.valid():
                    left = self.valid_until() - self._clock()
                    logger.warning(
                        "the lease of agent id '%s' was not renewed (%s); %s", self.agent_id, exc,
                        f"it stays valid for {left:.1f} s" if left > 0 else "this process sends nothing until it is",
                    )
                continue
            failures = 0
            self._granted(grant, sent)

    def _lose(self, why: str) -> None:
        if self.lost.is_set():
            return
        with self._renewed:
            self.lost.set()
            self._valid_until = float("-inf")
            self._renewed.notify_all()
        logger.error(
            "Another agent process took over agent id '%s': this one sends nothing more and waits for the lease "
            "(%s)", self.agent_id, why,
        )
        self.on_renewed()
