"""The agent's main loop: connect to the broker, reconcile unfinished jobs, long-poll, execute, report.

It runs in its own process (``python -m agent`` / ``tvbridge agent``) because the ``MetaTrader5`` extension
never releases the GIL and its calls block with no time-out (mt5-api §5.1): in the server process one broker
round trip would freeze webhook intake. It talks to the broker only through
:class:`~agent.broker.interface.Broker`. Reconnecting and waiting out an unreachable broker are retried with
``tenacity``; a job the agent died on twice is quarantined (:mod:`agent.crashes`), and so is one the server
handed out three times (``TradeJob.quarantine``).

With a :class:`~agent.lease.LeaseKeeper` (the real agent: :mod:`agent.main`) the worker acts only while this
process holds its agent id's lease: it takes over the unfinished jobs of the agent id after every grant, and when
another process takes the lease over it drops what it claimed (the new holder reconciles it) and waits for the
lease again. Dry-run jobs are planned and never sent.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_exponential, wait_fixed

from agent.broker.errors import BrokerUnavailable, OrderRefused
from agent.broker.interface import Broker
from agent.client import ContractMismatch, Fenced, ServerClient
from agent.crashes import CrashJournal, quarantine_sentence
from agent.executor import JobExecutor, build_snapshot
from agent.fence import LeaseLapsed
from agent.lease import LeaseKeeper
from agent.outbox import ResultOutbox
from agent.stops import StopManager
from agent.targets import TargetMonitor
from contract import AccountSnapshot, JobOutcome, JobResult, TradeJob

logger = logging.getLogger(__name__)

#: Seconds each long-poll waits for a job.
POLL_WAIT = 25.0
#: Seconds between asks while the server speaks another contract version.
CONTRACT_RETRY_SECONDS = 30.0
#: Most jobs one poll claims: a burst drains in few round trips; a stopping agent hands back what it has not started.
CLAIM_BATCH = 32
#: Least seconds between two snapshots, and while a burst of claimed jobs is being executed.
SNAPSHOT_GAP = 0.1
BUSY_SNAPSHOT_GAP = 0.25


class AgentWorker:
    """One agent: ``run()`` blocks until ``stop()`` (from a signal handler or another thread)."""

    def __init__(
        self,
        client: ServerClient,
        broker: Broker,
        *,
        snapshot_interval: float = 10.0,
        stops: StopManager | None = None,
        journal: CrashJournal | None = None,
        targets: TargetMonitor | None = None,
        stop_check_interval: float = 0.5,
        lease: LeaseKeeper | None = None,
    ) -> None:
        self.client = client
        self.broker = broker
        #: This process's lease on its agent id (``None``: not fenced, for in-process use).
        self.lease = lease
        self.executor = JobExecutor(broker, stops=stops, targets=targets)
        #: Jobs started and not yet reported, to quarantine one the agent keeps dying on.
        self.journal = journal if journal is not None else CrashJournal()
        self.stop_check_interval = stop_check_interval
        self.snapshot_interval = snapshot_interval
        self._stop = threading.Event()
        #: Set when this process may hold jobs it never saw: a claim whose answer was lost (the server had claimed
        #: them for this lease), or a take-over that could not be asked for; taken over before the next claim.
        self._unfinished_due = False
        self._snapshot_due = threading.Event()
        self._connected = False
        self._last_error: str | None = None
        #: True while waiting for a job (nothing in flight): a stop request may then exit at once.
        self.idle = False
        #: Held while ``idle`` changes, so a stop request never interrupts the loop as it takes a job.
        self.idle_lock = threading.Lock()
        #: This process's snapshots: ``boot_id`` + ``seq`` order them; ``as_of_finish`` is the agent id's finish
        #: counter (each finished job takes the next number, ``JobResult.finish_seq``) and ``as_of_signal`` the newest
        #: signal whose job finished, both read before a snapshot reads the terminal (contract.account).
        self.boot_id = uuid.uuid4().hex
        self._seq = 0
        self._finish_seq = 0
        self._as_of_signal: int | None = None
        #: Set until the server told where the agent id's finish counter stands (:meth:`_learn_progress`): no job is
        #: taken before, so a number an earlier process of the agent id gave is never given again.
        self._progress_due = True
        self._snapshot_lock = threading.Lock()
        #: Claimed jobs not started yet; results on their way to the server.
        self._inbox: deque[TradeJob] = deque()
        #: Called (in order) once the job loop ended and before the lease is released: stops of the other threads
        #: that send to the broker (agent/main.py adds the exit monitor's), each returning once it sends nothing.
        self.before_release: list[Callable[[], None]] = []
        self._outbox = ResultOutbox(client, stopping=self._stop.is_set, busy=lambda: bool(self._inbox))

    def stop(self) -> None:
        """Ask the loop to finish after the current job (a trade in flight is never abandoned)."""
        self._stop.set()

    def interrupt(self) -> None:
        """Stop from any thread: idle (waiting in a long-poll, nothing in flight), the process exits now; with a job
        in flight, the job is finished first (its result posting kept short) and the loop then ends.

        Exiting beats cutting the long-poll: no portable call breaks a blocked socket read from another thread. A
        job the server hands out in that instant stays claimed and is reconciled at the agent's next start.
        """
        self.stop()
        with self.idle_lock:
            if self.idle:
                logger.info("stopping while idle: exiting now")
                logging.shutdown()
                os._exit(0)

    def _pause(self, seconds: float) -> None:
        """Sleep between retries, cut short by a stop request."""
        self._stop.wait(seconds)

    @property
    def stopping(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stop.is_set()

    def run(self) -> None:
        """Connect, reconcile, then serve jobs until stopped (with a lease: only while this process holds it)."""
        self._ensure_connected()
        self._learn_progress()
        self._post_snapshot()  # the account is visible as soon as the terminal is
        snapshots = threading.Thread(target=self._snapshot_loop, name="snapshots", daemon=True)
        snapshots.start()
        # Breakeven/trailing stops and netting take-profit levels: started once this process holds its lease (the
        # caller acquired it), and joined before the broker is shut and the lease released (a level close never
        # races the release; every write of it also goes through the fenced broker).
        checks = threading.Thread(target=self._stops_loop, name="stops", daemon=True)
        checks.start()
        self._outbox.start()
        self._reconcile_unfinished()
        while not self._stop.is_set():
            if self._fenced_off():
                self._stand_by()
            elif self._inbox:
                self.handle(self._inbox.popleft())
            else:
                self._poll()
        self._outbox.close()
        checks.join()
        for stop in self.before_release:  # other threads that trade (the exit monitor): nothing after the release
            stop()
        self._hand_back()
        self.broker.shutdown()
        if self.lease is not None:
            self.lease.release()

    def _fenced_off(self) -> bool:
        """True once another process took this agent id's lease over."""
        return self.lease is not None and self.lease.lost.is_set()

    def _stand_by(self) -> None:
        """Another process holds the agent id now: forget the jobs in hand (it takes them over and reconciles them
        at the broker), wait for the lease, then take over what is unfinished, as at a start."""
        assert self.lease is not None
        with self.idle_lock:
            dropped = [job.id for job in self._inbox]
            self._inbox.clear()
        if dropped:
            logger.warning("jobs %s are left to the agent process that took over: it reconciles them", dropped)
        if self.lease.acquire(self._stop.is_set) is not None:
            self._progress_due = True  # the other process finished jobs meanwhile: number on from theirs
            self._reconcile_unfinished()

    def _poll(self) -> None:
        """Claim the next jobs. Before waiting for new ones, every result is reported: the agent is then idle, and a
        stop request may exit at once."""
        while not self._outbox.flush(timeout=0.5):
            if self._stop.is_set():  # reporting is stuck (the server is gone): stop; the next start reconciles
                return
        if self.lease is not None and not self.lease.wait_valid(POLL_WAIT):
            return  # the lease is being renewed late, or was taken over: claim nothing meanwhile
        if self._unfinished_due:  # every result is reported (above): what the server holds for us is unknown to us
            self._reconcile_unfinished()
            if self._unfinished_due:  # the server is still out of reach
                self._stop.wait(1.0)
            return
        try:
            with self.idle_lock:
                self.idle = self._outbox.empty
            jobs = self.client.claim_jobs(CLAIM_BATCH, wait=POLL_WAIT if self.idle else 0.0)
        except ContractMismatch as exc:
            with self.idle_lock:
                self.idle = False
            self._refused(str(exc))
            return
        except Fenced as exc:
            with self.idle_lock:
                self.idle = False
            logger.warning("no job claimed: %s", exc)
            if self.lease is not None:
                self.lease.refused(exc.refusal)
            self._stop.wait(0.5)  # taken over: the loop stands by; lapsed: the lease keeper renews it meanwhile
            return
        except httpx.HTTPError as exc:
            with self.idle_lock:
                self.idle = False
            # the server may have claimed jobs for this lease in the answer that was lost: nobody else will run
            # them while this process holds the lease, so take them over (and reconcile them) before claiming more
            self._unfinished_due = True
            if not self._stop.is_set():
                logger.warning("cannot reach the server (%s); retrying", exc)
                self._stop.wait(1.0)
            return
        with self.idle_lock:
            self.idle = False
            self._inbox.extend(jobs)

    def _hand_back(self) -> None:
        """Stopping with claimed jobs not started: give them back to the queue (else the next start runs them)."""
        if not self._inbox:
            return
        ids = [job.id for job in self._inbox]
        try:
            self.client.release_jobs(ids)
            logger.info("handed back %d job(s) not started: %s", len(ids), ids)
        except (httpx.HTTPError, ContractMismatch, Fenced) as exc:
            logger.warning("could not hand back jobs %s (%s); the next start runs them", ids, exc)
        self._inbox.clear()

    def _learn_progress(self) -> str | None:
        """Learn where the agent id stands on the server; returns the server's sentence when it speaks another
        contract version (``None`` otherwise; ``_progress_due`` stays set on any failure)."""
        # Jobs finished by earlier processes of this agent id are in the terminal already: snapshots say so from the
        # start, and this process numbers its finished jobs on from theirs (the lease makes every earlier process's
        # stored results known by now: a fenced-off process stores nothing more).
        try:
            progress = self.client.progress()
        except ContractMismatch as exc:
            return str(exc)
        except (httpx.HTTPError, Fenced, ValueError) as exc:
            logger.warning("could not read the agent's progress: %s", exc)
            return None
        with self._snapshot_lock:
            if progress.last_finished_signal is not None:
                self._as_of_signal = max(self._as_of_signal or 0, progress.last_finished_signal)
            self._finish_seq = max(self._finish_seq, progress.last_finish_seq or 0)
            self._progress_due = False
        return None

    def _refused(self, sentence: str) -> None:
        # The server speaks another contract version: take no job until one side is updated.
        if self._last_error != sentence:
            logger.error("%s", sentence)
        self._last_error = sentence
        self._stop.wait(CONTRACT_RETRY_SECONDS)

    def handle(self, job: TradeJob) -> None:
        """Execute one job and report it. An unreachable broker (nothing sent) is retried every second until it
        answers (past the job's deadline the job expires without sending); when the agent is stopping meanwhile,
        the job is left claimed and reconciled at the next start."""
        if job.kind == "dry_run":
            self._dry_run(job)
            return
        logger.info("job %s for signal #%s", job.id, job.signal_id)
        self.journal.started(job.id)

        def unavailable(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            if not isinstance(exc, LeaseLapsed):  # the terminal is fine: the lease is being renewed
                self._connected = False
                self._last_error = str(exc)
            logger.warning("broker unavailable while executing job %s: %s", job.id, exc)

        def attempt() -> JobResult:
            self._ensure_connected()
            return self.executor.execute(job)

        retrying = Retrying(
            retry=retry_if_exception_type(BrokerUnavailable),
            wait=wait_fixed(1.0),
            stop=lambda _state: self._stop.is_set() or self._fenced_off(),
            sleep=self._pause,
            before_sleep=unavailable,
            reraise=True,
        )
        try:
            result = retrying(attempt)
        except BrokerUnavailable as exc:
            if self._fenced_off():
                logger.warning("job %s left unexecuted to the agent process that took over (%s)", job.id, exc)
            else:
                logger.warning("stopping with job %s unexecuted (%s): it is reconciled at the next start", job.id, exc)
            self.journal.left(job.id)  # set aside on purpose: not a death to count towards quarantine
            return
        except Exception as exc:  # never lose a job to a bug: it fails with a sentence, the loop goes on
            logger.exception("job %s could not be executed", job.id)
            result = JobResult.refused(
                JobOutcome.FAILED,
                f"tvbridge could not execute this alert because of an internal error ({type(exc).__name__}); "
                f"the agent's log has the details.",
            )
        self._finished(job, result)

    def _dry_run(self, job: TradeJob) -> None:
        """Plan a dry-run job against the live account and report the plan; nothing is sent, nothing journaled."""
        logger.info("dry run %s for strategy %s", job.id, job.strategy_id)
        try:
            self._ensure_connected()
            result = self.executor.dry_run(job)
        except Exception as exc:  # a dry run must never stop the agent
            logger.exception("dry run %s failed", job.id)
            result = JobResult.refused(JobOutcome.FAILED, f"The dry run could not be planned ({exc}).", planned=[])
        self._outbox.put(job.id, result)

    def _finished(self, job: TradeJob, result: JobResult) -> None:
        # Snapshots read after this line reflect the job: they say so with ``as_of_finish`` (at least the job's
        # ``finish_seq``) and ``as_of_signal``.
        with self._snapshot_lock:
            self._finish_seq += 1
            result = result.model_copy(update={"finish_seq": self._finish_seq})
            self._as_of_signal = max(self._as_of_signal or 0, job.signal_id)
        self._outbox.put(job.id, result)  # posted by the outbox thread, with whatever else finished meanwhile
        self._snapshot_due.set()  # posted by the snapshot thread: a burst of trades costs one snapshot
        self.journal.finished(job.id)

    def _reconcile_unfinished(self) -> None:
        """Take over the agent id's unfinished jobs (claimed before this process held the lease, or for it in a claim
        answer that never arrived) and settle each before anything new is claimed. The agent id's progress is learnt
        first when it is not known yet: nothing is finished, nor claimed, before it is."""
        if self._progress_due:
            refused = self._learn_progress()
            if self._progress_due:
                self._unfinished_due = True  # asked again before the next claim
                if refused is not None:  # another contract version: wait as a refused claim does
                    self._refused(refused)
                return
        try:
            jobs = self.client.take_over_unfinished()
        except (httpx.HTTPError, ContractMismatch, Fenced) as exc:
            logger.warning("could not take over unfinished jobs: %s", exc)
            self._unfinished_due = isinstance(exc, httpx.HTTPError)  # asked again before the next claim
            return
        self._unfinished_due = False
        for job in jobs:
            if self._stop.is_set() or self._fenced_off():
                return
            self._reconcile(job)

    def _reconcile(self, job: TradeJob) -> None:
        """A job claimed before this process held the lease: report what the broker shows of it, quarantine it if
        the agent died on it twice (its crash journal) or the server handed it out three times, or run it (nothing
        of it was sent)."""
        if job.kind == "dry_run":
            self.handle(job)
            return

        def unreachable(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            logger.warning("cannot search the broker for job %s now (%s); retrying before anything else", job.id, exc)
            self._connected = False

        def search() -> JobResult | None:
            self._ensure_connected()
            return self.executor.reconcile(job)

        # Nothing new is sent before this job is settled: retried every second, like an unreachable broker.
        retrying = Retrying(
            retry=retry_if_exception_type(BrokerUnavailable),
            wait=wait_fixed(1.0),
            stop=lambda _state: self._stop.is_set() or self._fenced_off(),
            sleep=self._pause,
            before_sleep=unreachable,
            reraise=True,
        )
        try:
            found = retrying(search)
        except BrokerUnavailable as exc:
            logger.warning("job %s not reconciled (%s): it stays claimed for the next holder", job.id, exc)
            return
        except Exception:  # an unreadable job must not stop the agent from starting
            logger.exception("job %s could not be reconciled", job.id)
            found = None
        if found is not None:
            logger.warning("job %s was executed before a restart; reporting it without re-sending", job.id)
            self._finished(job, found)
        elif self.journal.quarantined(job.id):
            starts = self.journal.starts(job.id)
            logger.error("job %s: the agent stopped %s times while executing it; quarantined", job.id, starts)
            self._finished(job, JobResult.refused(JobOutcome.FAILED, quarantine_sentence(starts)))
        elif job.quarantine is not None:
            logger.error("job %s was quarantined by the server after %s deliveries; not run", job.id, job.attempts)
            self._finished(job, JobResult.refused(JobOutcome.FAILED, job.quarantine))
        else:
            self.handle(job)

    def _ensure_connected(self) -> None:
        """Connect, retrying with back-off (1 s doubling to 30 s) until connected or stopping."""
        if self._connected:
            return

        def failed(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            self._last_error = str(exc)
            logger.error("%s Retrying in %.0f s.", exc, state.upcoming_sleep)
            self._post_snapshot()

        retrying = Retrying(
            retry=retry_if_exception_type(BrokerUnavailable),
            wait=wait_exponential(multiplier=1.0, min=1.0, max=30.0),
            stop=lambda _state: self._stop.is_set(),
            sleep=self._pause,
            before_sleep=failed,
            reraise=True,
        )
        try:
            retrying(self.broker.connect)
        except BrokerUnavailable:
            return  # stopping
        self._connected = True
        self._last_error = None
        logger.info("connected to the broker")

    def _post_snapshot(self) -> None:
        with self._snapshot_lock:
            # The version is read BEFORE the terminal: the snapshot reflects at least every job up to it.
            self._seq += 1
            version = {
                "boot_id": self.boot_id,
                "seq": self._seq,
                "as_of_signal": self._as_of_signal,
                "as_of_finish": self._finish_seq,
            }
        try:
            snap = build_snapshot(self.broker) if self._connected else AccountSnapshot()
        except (BrokerUnavailable, OrderRefused) as exc:
            self._connected = isinstance(exc, OrderRefused)
            snap = AccountSnapshot()
            self._last_error = str(exc)
        health: dict[str, Any] = {"broker": self.broker.kind, "last_error": self._last_error}
        if not self._connected:
            health["terminal_connected"] = False
        snap = snap.model_copy(update={**version, **health})
        try:
            self.client.post_snapshot(snap)
        except (httpx.HTTPError, ContractMismatch, Fenced) as exc:
            logger.debug("snapshot not posted: %s", exc)

    def _stops_loop(self) -> None:
        # Breakeven and trailing stops (agent/stops.py) and netting take-profit levels (agent/targets.py): checked
        # twice a second while there are rules; the levels under the executor's lock, as they close volume.
        stops, targets = self.executor.stops, self.executor.targets
        while not self._stop.wait(self.stop_check_interval):
            if not self._connected or not (len(stops) or len(targets)):
                continue
            if self.lease is not None and not self.lease.valid():
                continue
            try:
                if len(stops) and stops.check(self.broker):
                    self._snapshot_due.set()
                if len(targets):
                    with self.executor.lock:
                        closed = targets.check(self.broker)
                    if closed:
                        self._snapshot_due.set()
            except BrokerUnavailable as exc:
                self._connected = False
                self._last_error = str(exc)
            except Exception:  # the loop must survive anything one check throws
                logger.exception("stop check failed")

    def _snapshot_loop(self) -> None:
        # Every snapshot_interval, or soon after a trade, coalescing the trades meanwhile into one snapshot: reading
        # the terminal holds it, and posting costs the server a write. A lone trade is reflected at once; a stream
        # of trades at most every SNAPSHOT_GAP (BUSY_SNAPSHOT_GAP while claimed jobs are waiting in hand).
        while not self._stop.is_set():
            self._snapshot_due.wait(self.snapshot_interval)
            self._snapshot_due.clear()
            if self._stop.is_set():
                return
            self._post_snapshot()
            self._stop.wait(BUSY_SNAPSHOT_GAP if self._inbox else SNAPSHOT_GAP)
