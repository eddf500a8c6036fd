"""Webhook intake: one alert in, one stored signal (and at most one job per account of its strategy) out.

The flow follows docs/architecture.md "Data path of one alert", in two halves:

1. On the event loop, nothing that waits: the strategy is looked up by its secret in the writer's in-memory view
   (:mod:`server.view`) — or, on the universal endpoint, found from the secret in the body
   (:mod:`server.universal`) — the body hashed, parsed and its signature checked (:func:`prepare`, tens of
   microseconds), and the alert counted against the strategy's rate limits (:mod:`server.ratelimits`). A request
   that reaches no strategy is answered at once and only counted (:mod:`server.security_events`); past the
   per-source limit it is answered 429.
2. In the writer (:mod:`server.writer`), one alert after the other: the gates decide (:mod:`server.gates`), and the
   signal is stored — ``pending`` with its ``trade`` job(s) (``awaiting_approval`` with them held, for a strategy
   with manual approval: :mod:`server.flow.approval`), or directly in its final state with the reason and the
   gate that decided (``decided_by``). A long-poll waiting for the strategy's agent takes the job in the same
   transaction. The webhook is answered once that transaction is durable.

Nothing here talks to MetaTrader 5, so the webhook answers in milliseconds whatever the broker is doing.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from contract.intent import ControlAction, OpenAction, SyncAction, TradeIntent
from contract.settings import ExecutionSettings
from server import gates, signatures
from server.alerts import (
    AlertRejected,
    EaDistanceType,
    EaVolumeType,
    LicenseMismatch,
    ParseContext,
    parse_alert,
)
from server.alerts.venue import venue_notes
from server.controls import TRADED_OR_LIVE, account_caps, control_fields, find_same_meaning, meaning_of
from server.db import sql_time
from server.gates import MAX_BODY_BYTES, Alert, Verdict
from server.ledger.rules import execution_fields, owners_of
from server.models import JobStatus, Signal, SignalStatus
from server.queue import JobQueue
from server.ratelimits import SourceRateLimits, StrategyRateLimits
from server.security_events import (
    ENDPOINT_STRATEGY_URL,
    ENDPOINT_UNIVERSAL,
    Fingerprinter,
    SecurityKind,
    SecurityMonitor,
)
from server.signatures import ReplayMemory, SignatureCheck
from server.universal import Route, route
from server.view import StrategyView, View
from server.writer import StorageUnavailable, Writer, WriteTx

logger = logging.getLogger(__name__)

__all__ = ["MAX_BODY_BYTES", "AlertIntake", "IntakeResult", "StorageUnavailable", "prepare"]

#: Seconds an alert may wait for the writer before it is answered 503 instead (TradingView gives up after 3 s).
WRITER_WAIT_SECONDS = 2.0


#: Bytes of the body kept with a signal refused by the signature or rate-limit gate: enough for any real alert, and
#: a flood of 64 KiB bodies does not store 64 KiB each.
UNTRUSTED_BODY_BYTES = 4096

#: The gates whose verdicts are sender-authentication failures, and the security-event kind each counts as.
AUTH_GATES: dict[str, SecurityKind] = {
    "signature": SecurityKind.BAD_SIGNATURE,
    "license_id": SecurityKind.WRONG_LICENSE_ID,
    "alert_secret": SecurityKind.WRONG_ALERT_SECRET,
    "rate_limit": SecurityKind.RATE_LIMITED,
}

#: The status of a request refused before any strategy was reached (nothing stored) ...
IGNORED = "ignored"
#: ... and of one refused because its source sent too many such requests (answered 429).
RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class IntakeResult:
    """What the webhook answers. ``signal_id`` is ``None`` when no strategy was reached (nothing stored):
    ``status`` is then ``ignored``, or ``rate_limited`` for a source over the unknown-secret limit."""

    signal_id: int | None
    status: str


@dataclass(frozen=True)
class Sender:
    """Who sent a request, for authentication and the security-event log: the source address
    (:mod:`server.source_address`), the endpoint template, and the ``X-TVBridge-Signature`` header (``None``:
    absent)."""

    source: str = "unknown"
    endpoint: str = ENDPOINT_STRATEGY_URL
    signature: str | None = None


def parse_context(strategy: StrategyView) -> ParseContext:
    """The strategy settings that change how its alert bodies are read."""
    return ParseContext(
        volume_type=EaVolumeType(strategy.volume_type),
        target_type=EaDistanceType(strategy.target_type),
        entry_type=EaDistanceType(strategy.entry_type),
        license_id=strategy.license_id,
        default_symbol=strategy.default_symbol,
        dialects=frozenset(strategy.dialects),
        default_volume_configured=strategy.default_volume is not None,
        tp_split=tuple(strategy.tp_split),
        symbol_map=dict(strategy.symbol_map),
    )


def execution_settings(strategy: StrategyView, signal_id: int) -> ExecutionSettings:
    """The strategy's trading settings as copied into a job; the comment names the signal (``tvb:<id>``)."""
    return ExecutionSettings(
        magic_number=strategy.magic_number,
        comment=f"tvb:{signal_id}",
        default_volume_lots=strategy.default_volume,
        max_lots=strategy.max_lots,
        risk_override_pct=strategy.risk_override_pct,
        symbol_map=dict(strategy.symbol_map),
        symbol_suffix=strategy.symbol_suffix,
        pip_sizes=dict(strategy.pip_sizes),
        max_open_positions=strategy.max_open_positions,
        **execution_fields(strategy),  # ownership, exit and pyramiding settings (server/ledger/rules.py)
        **control_fields(strategy),  # risk multiplier, lot cap mode, exposure cap (server/controls.py)
    )


def _describe(intent: TradeIntent) -> tuple[str | None, float | None]:
    """The signal's ``action`` and ``volume`` columns: the first step's side/kind and its lots, if in lots."""
    if not intent.actions:
        return None, None
    first = intent.actions[0]
    if isinstance(first, OpenAction):
        action = first.side.value if first.kind == "market" else f"{first.side.value}_{first.kind.value}"
        return action, first.volume.value if first.volume.unit == "lots" else None
    if isinstance(first, SyncAction):
        return f"sync_{first.target}", None
    if isinstance(first, ControlAction):
        return "eaon" if first.trading_enabled else "eaoff", None
    sides = getattr(first, "sides", ())
    return f"{first.type}_{'_'.join(sides)}" if sides else first.type, None


def _parse(body: bytes, strategy: StrategyView) -> TradeIntent | AlertRejected | None:
    if len(body) > MAX_BODY_BYTES:
        return None  # the body_size gate refuses it; never parse what will not be stored whole
    try:
        return parse_alert(body, parse_context(strategy))
    except AlertRejected as exc:
        return exc


def check_signature(strategy: StrategyView, sender: Sender, body: bytes) -> SignatureCheck | None:
    """The signature check for ``strategy`` (``None`` when it requires no signature)."""
    if not strategy.signing_secret:
        return None
    return signatures.check(strategy.signing_secret, sender.signature, body, time.time())


@dataclass(frozen=True)
class Prepared:
    """An alert as read on the event loop, before the writer: its strategy as the view had it, the body, its
    SHA-256, the parse outcome (with the intent's JSON and the job's settings ready to store), who sent it and
    its signature check, the notes the signal starts with, and which rate limit it is over (``None``: within).

    ``by_secret``: it came to the strategy's own URL; else ``routed_secret`` is the body's secret that routed it
    on the universal endpoint, and ``by_webhook_secret`` says whether that was the strategy's webhook secret."""

    strategy: StrategyView
    body: bytes
    content_type: str | None
    received_at: datetime
    digest: str
    parsed: TradeIntent | AlertRejected | None
    intent_json: str | None
    settings: dict[str, Any] | None
    by_secret: bool
    sender: Sender = Sender()
    signature: SignatureCheck | None = None
    notes: tuple[str, ...] = ()
    routed_secret: str | None = None
    by_webhook_secret: bool = False
    rate_over: str | None = None

    def reparsed(self, strategy: StrategyView) -> Prepared:
        """This alert read again under ``strategy``'s current settings (they changed since it was prepared)."""
        again = prepare(
            strategy, self.body, self.content_type, self.received_at, by_secret=self.by_secret, sender=self.sender
        )
        return replace(
            again,
            routed_secret=self.routed_secret,
            by_webhook_secret=self.by_webhook_secret,
            rate_over=self.rate_over,
        )

    @property
    def authenticated(self) -> bool:
        """True when the sender checks that need no database passed (signature before the replay check, License
        ID, alert secret): only such alerts count toward the strategy's rate limits."""
        if self.signature is not None and not self.signature.ok:
            return False
        if isinstance(self.parsed, LicenseMismatch):
            return False
        if isinstance(self.parsed, TradeIntent):
            return gates.alert_secret_matches(self.strategy, self.parsed, self.by_webhook_secret)
        return True


def prepare(
    strategy: StrategyView,
    body: bytes,
    content_type: str | None,
    received_at: datetime,
    *,
    by_secret: bool = True,
    sender: Sender | None = None,
) -> Prepared:
    """Everything about an alert that needs no database: hash, parse, signature check, and the JSON the writer
    will store."""
    sender = sender or Sender()
    parsed = _parse(body, strategy)
    intent_json = settings = None
    notes: tuple[str, ...] = ()
    if isinstance(parsed, TradeIntent):
        intent_json = parsed.model_dump_json()
        settings = execution_settings(strategy, 0).model_dump(mode="json")
        notes = tuple(venue_notes(parsed))
    return Prepared(
        strategy,
        body,
        content_type,
        received_at,
        gates.body_hash(body),
        parsed,
        intent_json,
        settings,
        by_secret,
        sender,
        check_signature(strategy, sender, body),
        notes,
    )


# The unary ``+`` keeps SQLite on the key's own index: without statistics it would otherwise walk every signal of
# the strategy (ix_tv_signals_strategy_id), a cost that grows with the history.
_SAME_ALERT_ID = (  # constants of this module only: no input reaches the SQL text
    f"SELECT id FROM tv_signals WHERE idempotency_key = ? AND +strategy_id = ? AND {TRADED_OR_LIVE}"  # noqa: S608
    " AND +created_at >= ? ORDER BY id DESC LIMIT 1"
)
_SAME_BODY = (  # constants of this module only: no input reaches the SQL text
    f"SELECT id FROM tv_signals WHERE body_hash = ? AND +strategy_id = ? AND {TRADED_OR_LIVE}"  # noqa: S608
    " AND +created_at >= ? ORDER BY id DESC LIMIT 1"
)


def find_duplicate(
    conn: sqlite3.Connection, strategy: StrategyView, intent: TradeIntent, digest: str, now: datetime
) -> tuple[int, str] | None:
    """The earlier signal this alert repeats (its id and why), or ``None``: the writer's lookup for the
    ``duplicate`` gate. Only signals that traded or may still trade (:data:`server.controls.TRADED_OR_LIVE`:
    ``executed``, ``pending``, ``awaiting_approval``, or ``failed`` after executing on some of its accounts) count:
    an alert that was refused, discarded or failed without trading must go through when it is sent again. With the
    strategy's ``dedup_by`` set to ``meaning``, an entry also repeats one of the same symbol,
    direction and timeframe within the dedup window (:func:`server.controls.find_same_meaning`)."""
    if intent.alert_id:
        since = sql_time(now - gates.ALERT_ID_WINDOW)
        row = conn.execute(_SAME_ALERT_ID, (intent.alert_id, strategy.id, since)).fetchone()
        if row:
            return int(row[0]), f"alert id {intent.alert_id!r}"
    if strategy.dedup_by == "meaning" and meaning_of(intent) is not None:
        return find_same_meaning(conn, strategy, intent, now)  # entries: same symbol, direction and timeframe
    if intent.alert_id:
        return None
    window = strategy.dedup_window_seconds
    if window <= 0:
        return None
    row = conn.execute(_SAME_BODY, (digest, strategy.id, sql_time(now - timedelta(seconds=window)))).fetchone()
    return (int(row[0]), f"an identical message within {window} s") if row else None


_INSERT_SIGNAL = """
INSERT INTO tv_signals (strategy_id, status, symbol, action, volume, raw_payload, content_type, intent,
    idempotency_key, body_hash, alert_time, error_message, orders, notes, received_at, acked_at, resolved_at,
    created_at, decided_by)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, ?, ?, ?, ?, ?)
"""

_INSERT_JOB = """
INSERT INTO jobs (signal_id, agent_id, job_type, status, payload, attempts, expires_at, created_at, volume_multiplier)
VALUES (?, ?, 'trade', ?, ?, 0, ?, ?, ?)
"""

#: A job whose account's outcome was decided at intake (its daily loss limit): ``done`` with its result at once.
_INSERT_FINISHED_JOB = """
INSERT INTO jobs (signal_id, agent_id, job_type, status, payload, attempts, expires_at, created_at, volume_multiplier,
    finished_at, result)
VALUES (?, ?, 'trade', 'done', ?, 0, ?, ?, ?, ?, ?)
"""


class AlertIntake:
    """Receives alerts for one server process: prepares them on the event loop and stores them through the
    ``writer``, with jobs handed to ``jobs``.

    ``monitor`` counts refused senders (:mod:`server.security_events`); without one (tests, tools) they are only
    logged. The rate limiters and the signature replay memory live here, one per server process.
    """

    def __init__(
        self, writer: Writer, view: View, jobs: JobQueue, monitor: SecurityMonitor | None = None
    ) -> None:
        self._writer = writer
        self._view = view
        self._jobs = jobs
        self.monitor = monitor or SecurityMonitor(Fingerprinter("unkeyed"))
        self.rate_limits = StrategyRateLimits()
        self.source_limits = SourceRateLimits()
        self.replays = ReplayMemory()  # writer thread only
        self.unknown_secret_hits = 0

    async def receive(
        self,
        secret: str,
        body: bytes,
        content_type: str | None,
        received_at: datetime,
        sender: Sender | None = None,
    ) -> IntakeResult:
        """Run the webhook flow for ``body`` posted to the strategy whose webhook secret is ``secret``.

        :raises StorageUnavailable: the signal could not be stored (nothing was).
        """
        sender = sender or Sender()
        strategy = self._view.strategy_by_secret(secret)
        if strategy is None:
            return self.refused(SecurityKind.UNKNOWN_URL, sender, secret=secret)
        return await self._store(self._counted(prepare(strategy, body, content_type, received_at, sender=sender)))

    async def receive_universal(
        self, body: bytes, content_type: str | None, received_at: datetime, sender: Sender | None = None
    ) -> IntakeResult:
        """As :meth:`receive`, for the universal endpoint: the secret in the body picks the strategy, optionally
        narrowed by its ``strategy`` name (:mod:`server.universal`); without a valid secret nothing is stored or
        traded, and the request is counted as a refused sender."""
        sender = sender or Sender(endpoint=ENDPOINT_UNIVERSAL)
        found = self.route(body)
        if found.strategy is None:
            kind = found.refusal or SecurityKind.UNKNOWN_SECRET
            return self.refused(kind, sender, secret=found.secret, strategy_id=found.strategy_hint, detail=found.detail)
        prepared = prepare(found.strategy, body, content_type, received_at, by_secret=False, sender=sender)
        prepared = replace(prepared, routed_secret=found.secret, by_webhook_secret=found.by_webhook_secret)
        return await self._store(self._counted(prepared))

    def route(self, body: bytes) -> Route:
        """Where a universal-endpoint body goes (:func:`server.universal.route` over the live strategies)."""
        return route(body, self._view.catalog.strategies.values())

    def refused(
        self,
        kind: SecurityKind,
        sender: Sender,
        *,
        secret: str | None = None,
        strategy_id: int | None = None,
        detail: str | None = None,
    ) -> IntakeResult:
        """Answer a request that reached no strategy: counted as ``kind`` (its secret only as a fingerprint), or as
        ``rate_limited`` when its source sent too many such requests (answered 429). Nothing is stored now: the
        monitor stores the counts in rounds."""
        self.unknown_secret_hits += 1
        if self.unknown_secret_hits in (1, 10, 100) or self.unknown_secret_hits % 1000 == 0:
            logger.warning("webhook refused: %s (%d refused so far)", kind.value, self.unknown_secret_hits)
        if not self.source_limits.allow(sender.source):
            self.monitor.record(
                SecurityKind.RATE_LIMITED, sender.source, sender.endpoint, detail="unknown secrets from this source"
            )
            return IntakeResult(None, RATE_LIMITED)
        self.monitor.record(kind, sender.source, sender.endpoint, secret=secret, strategy_id=strategy_id, detail=detail)
        return IntakeResult(None, IGNORED)

    def _counted(self, prepared: Prepared) -> Prepared:
        """Count an authenticated alert against its strategy's rate limits, on the event loop (arrival order)."""
        if not prepared.authenticated:
            return prepared
        return replace(prepared, rate_over=self.rate_limits.hit(prepared.strategy))

    async def _store(self, prepared: Prepared) -> IntakeResult:
        return await self._writer.submit(lambda tx: self.store(tx, prepared), within=WRITER_WAIT_SECONDS)

    def _still_routed(self, prepared: Prepared, strategy: StrategyView) -> bool:
        """The strategy still answers to what reached it (its webhook secret was not rotated, nor the secret that
        routed a universal alert changed, while the alert was on its way)."""
        if prepared.by_secret:
            return strategy.webhook_secret == prepared.strategy.webhook_secret
        secret = prepared.routed_secret
        return secret is not None and secret in (strategy.webhook_secret, strategy.alert_secret)

    def store(self, tx: WriteTx, prepared: Prepared) -> IntakeResult:
        """The writer op: gate and store one prepared alert (writer thread)."""
        strategy = tx.catalog.strategies.get(prepared.strategy.id)
        if strategy is None or not self._still_routed(prepared, strategy):
            return IntakeResult(None, IGNORED)  # deleted, or its secret rotated, while the alert was on its way
        if strategy is not prepared.strategy and strategy.parse_key() != prepared.strategy.parse_key():
            prepared = prepared.reparsed(strategy)
        if strategy.signing_secret != prepared.strategy.signing_secret:
            prepared = replace(prepared, signature=check_signature(strategy, prepared.sender, prepared.body))
        alert = Alert(
            strategy=strategy,
            settings=tx.catalog.settings,
            body_size=len(prepared.body),
            body_hash=prepared.digest,
            parsed=prepared.parsed,
            now=tx.now,
            pnl=tx.counters.pnl.get(strategy.agent_id),
            trades_today=tx.counters.trades_today(strategy.id, tx.now),
            find_duplicate=lambda s, i, d, now: find_duplicate(tx.conn, s, i, d, now),
            signature=prepared.signature,
            remember_signature=lambda key: self._remember(tx, strategy.id, key),
            alert_secret_proven=prepared.by_webhook_secret,
            rate_over=prepared.rate_over,
        )
        verdict = gates.decide(alert)
        # a strategy with manual approval holds what the gates let through until the trader decides (server/flow)
        opened = SignalStatus.AWAITING_APPROVAL if strategy.require_approval else SignalStatus.PENDING
        signal_id = self._insert_signal(tx, prepared, strategy, verdict, opened)
        if alert.halt is not None:
            tx.execute(
                "UPDATE tv_strategies SET trading_halted = ?, updated_at = ? WHERE id = ?",
                (int(alert.halt), sql_time(tx.now), strategy.id),
            )
        status = verdict.status if verdict is not None else opened
        if verdict is None:
            self._insert_jobs(tx, prepared, strategy, signal_id, held=opened is SignalStatus.AWAITING_APPROVAL)
        if alert.halt is not None:
            tx.catalog = tx.catalog.with_strategy(replace(strategy, trading_halted=alert.halt))
        if status in (SignalStatus.PENDING, SignalStatus.AWAITING_APPROVAL, SignalStatus.EXECUTED):
            tx.counters.counted(strategy.id, tx.now, +1)
        if verdict is not None:
            tx.resolved(self._final(prepared, strategy, signal_id, verdict, tx.now))
            logger.info("signal #%s %s by %s: %s", signal_id, verdict.status, verdict.gate, verdict.message)
            self._count_auth_failure(prepared, strategy, verdict)
        return IntakeResult(signal_id, status)

    def _remember(self, tx: WriteTx, strategy_id: int, key: str) -> bool:
        """The replay memory, undone if the alert's group is not committed (the request was then not accepted)."""
        if not self.replays.remember(strategy_id, key, time.time()):
            return False
        tx.on_undo(lambda: self.replays.forget(strategy_id, key))
        return True

    def _count_auth_failure(self, p: Prepared, strategy: StrategyView, verdict: Verdict) -> None:
        kind = AUTH_GATES.get(verdict.gate)
        if kind is None:
            return
        tried: str | None = None
        if kind is SecurityKind.WRONG_ALERT_SECRET and isinstance(p.parsed, TradeIntent):
            tried = p.parsed.secret
        elif kind is SecurityKind.WRONG_LICENSE_ID and isinstance(p.parsed, LicenseMismatch):
            tried = p.parsed.license_id
        self.monitor.record(
            kind, p.sender.source, p.sender.endpoint, secret=tried, strategy_id=strategy.id, detail=verdict.detail
        )

    @staticmethod
    def _insert_signal(
        tx: WriteTx, p: Prepared, strategy: StrategyView, verdict: Verdict | None, opened: SignalStatus
    ) -> int:
        intent = p.parsed if isinstance(p.parsed, TradeIntent) else None
        action, volume = _describe(intent) if intent is not None else (None, None)
        executed = verdict is not None and verdict.status == SignalStatus.EXECUTED
        now = sql_time(tx.now)
        untrusted = verdict is not None and verdict.gate in ("signature", "rate_limit")
        kept = p.body[: UNTRUSTED_BODY_BYTES if untrusted else MAX_BODY_BYTES]
        notes = [*p.notes, *([verdict.message] if executed and verdict is not None and verdict.message else [])]
        cur = tx.execute(
            _INSERT_SIGNAL,
            (
                strategy.id,
                (verdict.status if verdict is not None else opened).value,
                intent.symbol if intent is not None else None,
                action,
                volume,
                kept.decode("utf-8", errors="replace"),
                p.content_type,
                p.intent_json,
                intent.alert_id if intent is not None else None,
                p.digest,
                sql_time(intent.alert_time) if intent is not None and intent.alert_time is not None else None,
                verdict.message if verdict is not None and not executed else None,
                json.dumps(notes),
                sql_time(p.received_at),
                now,
                now if verdict is not None else None,
                now,
                verdict.gate if verdict is not None else None,
            ),
        )
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    def _insert_jobs(self, tx: WriteTx, p: Prepared, strategy: StrategyView, signal_id: int, *, held: bool) -> None:
        """One ``trade`` job per account of the strategy (:meth:`StrategyView.targets`), each with its account's
        volume multiplier; ``held`` jobs wait for the trader's approval (:mod:`server.flow.approval`)."""
        assert isinstance(p.parsed, TradeIntent) and p.intent_json is not None and p.settings is not None
        # every strategy's magic number and name as of this commit (the agent tells their shares apart by it)
        settings = dict(p.settings, comment=f"tvb:{signal_id}", owners=owners_of(tx.catalog.strategies.values()))
        settings.update(account_caps(tx.catalog.settings))  # the account-wide exposure caps as of this commit
        deadline = sql_time(gates.deadline(strategy, p.parsed, tx.now))
        status = JobStatus.HELD if held else JobStatus.QUEUED
        for n, (agent_id, multiplier) in enumerate(strategy.targets()):
            account = json.dumps(dict(settings, volume_multiplier=multiplier))
            payload = f'{{"strategy_id":{strategy.id},"intent":{p.intent_json},"settings":{account}}}'
            # the primary account's daily loss limit is the daily_loss_limit gate's; each further account has its own
            pnl = tx.counters.pnl.get(agent_id)
            refusal = gates.account_loss_refusal(tx.catalog.settings, pnl, tx.now) if n else None
            if refusal is not None:  # this account's outcome is decided now: it never sees the job
                result = json.dumps({"status": SignalStatus.DISCARDED.value, "error_message": refusal})
                tx.execute(
                    _INSERT_FINISHED_JOB,
                    (signal_id, agent_id, payload, deadline, sql_time(tx.now), multiplier, sql_time(tx.now), result),
                )
                continue
            cur = tx.execute(
                _INSERT_JOB, (signal_id, agent_id, status.value, payload, deadline, sql_time(tx.now), multiplier)
            )
            assert cur.lastrowid is not None
            if not held:
                self._jobs.queued(tx, agent_id, int(cur.lastrowid))

    @staticmethod
    def _final(p: Prepared, strategy: StrategyView, signal_id: int, verdict: Verdict, now: datetime) -> Signal:
        intent = p.parsed if isinstance(p.parsed, TradeIntent) else None
        action, volume = _describe(intent) if intent is not None else (None, None)
        executed = verdict.status == SignalStatus.EXECUTED
        return Signal(
            id=signal_id,
            strategy_id=strategy.id,
            status=verdict.status,
            symbol=intent.symbol if intent is not None else None,
            action=action,
            volume=volume,
            error_message=None if executed else verdict.message,
            notes=[*p.notes, *([verdict.message] if executed and verdict.message else [])],
            received_at=p.received_at,
            acked_at=now,
            resolved_at=now,
            decided_by=verdict.gate,
        )
