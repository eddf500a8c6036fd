"""Webhook intake: one alert in, one stored signal (and at most one job) out.

The flow follows docs/architecture.md "Data path of one alert", in two halves:

1. On the event loop, nothing that waits: the strategy is looked up by its secret in the writer's in-memory view
   (:mod:`server.view`), the body hashed and parsed (:func:`prepare`, tens of microseconds).
2. In the writer (:mod:`server.writer`), one alert after the other: the gates decide (:mod:`server.gates`), and the
   signal is stored — ``pending`` with its ``trade`` job, or directly in its final state with the reason and the
   gate that decided (``decided_by``). A long-poll waiting for the strategy's agent takes the job in the same
   transaction. The webhook is answered once that transaction is durable.

Nothing here talks to MetaTrader 5, so the webhook answers in milliseconds whatever the broker is doing.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from contract.intent import ControlAction, OpenAction, SyncAction, TradeIntent
from contract.settings import ExecutionSettings
from server import gates
from server.alerts import AlertRejected, EaDistanceType, EaVolumeType, ParseContext, extract_routing, parse_alert
from server.db import sql_time
from server.gates import MAX_BODY_BYTES, Alert, Verdict
from server.ledger.rules import execution_fields, owners_of
from server.models import Signal, SignalStatus
from server.queue import JobQueue
from server.view import StrategyView, View
from server.writer import StorageUnavailable, Writer, WriteTx

logger = logging.getLogger(__name__)

__all__ = ["MAX_BODY_BYTES", "AlertIntake", "IntakeResult", "StorageUnavailable", "prepare"]

#: Seconds an alert may wait for the writer before it is answered 503 instead (TradingView gives up after 3 s).
WRITER_WAIT_SECONDS = 2.0

_LIVE = (SignalStatus.EXECUTED.value, SignalStatus.PENDING.value)


@dataclass(frozen=True)
class IntakeResult:
    """What the webhook answers. ``signal_id`` is ``None`` for unknown secrets (nothing stored)."""

    signal_id: int | None
    status: str


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


@dataclass(frozen=True)
class Prepared:
    """An alert as read on the event loop, before the writer: its strategy as the view had it, the body, its
    SHA-256, and the parse outcome (with the intent's JSON and the job's settings ready to store)."""

    strategy: StrategyView
    body: bytes
    content_type: str | None
    received_at: datetime
    digest: str
    parsed: TradeIntent | AlertRejected | None
    intent_json: str | None
    settings: dict[str, Any] | None
    by_secret: bool

    def reparsed(self, strategy: StrategyView) -> Prepared:
        """This alert read again under ``strategy``'s current settings (they changed since it was prepared)."""
        return prepare(strategy, self.body, self.content_type, self.received_at, by_secret=self.by_secret)


def prepare(
    strategy: StrategyView, body: bytes, content_type: str | None, received_at: datetime, *, by_secret: bool = True
) -> Prepared:
    """Everything about an alert that needs no database: hash, parse, and the JSON the writer will store."""
    parsed = _parse(body, strategy)
    intent_json = settings = None
    if isinstance(parsed, TradeIntent):
        intent_json = parsed.model_dump_json()
        settings = execution_settings(strategy, 0).model_dump(mode="json")
    return Prepared(
        strategy, body, content_type, received_at, gates.body_hash(body), parsed, intent_json, settings, by_secret
    )


def find_duplicate(
    conn: sqlite3.Connection, strategy: StrategyView, intent: TradeIntent, digest: str, now: datetime
) -> tuple[int, str] | None:
    """The earlier signal this alert repeats (its id and why), or ``None``: the writer's lookup for the
    ``duplicate`` gate. Only signals that traded or may still trade (``executed``, ``pending``) count: an alert that
    was refused, discarded or failed must go through when it is sent again."""
    # The unary ``+`` keeps SQLite on the key's own index: without statistics it would otherwise walk every
    # signal of the strategy (ix_tv_signals_strategy_id), a cost that grows with the history.
    if intent.alert_id:
        row = conn.execute(
            "SELECT id FROM tv_signals WHERE idempotency_key = ? AND +strategy_id = ? AND +status IN (?, ?)"
            " AND +created_at >= ? ORDER BY id DESC LIMIT 1",
            (intent.alert_id, strategy.id, *_LIVE, sql_time(now - gates.ALERT_ID_WINDOW)),
        ).fetchone()
        return (int(row[0]), f"alert id {intent.alert_id!r}") if row else None
    window = strategy.dedup_window_seconds
    if window <= 0:
        return None
    row = conn.execute(
        "SELECT id FROM tv_signals WHERE body_hash = ? AND +strategy_id = ? AND +status IN (?, ?)"
        " AND +created_at >= ? ORDER BY id DESC LIMIT 1",
        (digest, strategy.id, *_LIVE, sql_time(now - timedelta(seconds=window))),
    ).fetchone()
    return (int(row[0]), f"an identical message within {window} s") if row else None


_INSERT_SIGNAL = """
INSERT INTO tv_signals (strategy_id, status, symbol, action, volume, raw_payload, content_type, intent,
    idempotency_key, body_hash, alert_time, error_message, orders, notes, received_at, acked_at, resolved_at,
    created_at, decided_by)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, ?, ?, ?, ?, ?)
"""

_INSERT_JOB = """
INSERT INTO jobs (signal_id, agent_id, job_type, status, payload, attempts, expires_at, created_at)
VALUES (?, ?, 'trade', 'queued', ?, 0, ?, ?)
"""


class AlertIntake:
    """Receives alerts for one server process: prepares them on the event loop and stores them through the
    ``writer``, with jobs handed to ``jobs``."""

    def __init__(self, writer: Writer, view: View, jobs: JobQueue) -> None:
        self._writer = writer
        self._view = view
        self._jobs = jobs
        self.unknown_secret_hits = 0

    async def receive(self, secret: str, body: bytes, content_type: str | None, received_at: datetime) -> IntakeResult:
        """Run the webhook flow for ``body`` posted to the strategy whose webhook secret is ``secret``.

        :raises StorageUnavailable: the signal could not be stored (nothing was).
        """
        strategy = self._view.strategy_by_secret(secret)
        if strategy is None:
            self.unknown_secret_hits += 1
            if self.unknown_secret_hits in (1, 10, 100) or self.unknown_secret_hits % 1000 == 0:
                logger.warning("webhook for an unknown secret (%d so far)", self.unknown_secret_hits)
            return IntakeResult(None, "ignored")
        return await self._store(prepare(strategy, body, content_type, received_at))

    async def receive_universal(self, body: bytes, content_type: str | None, received_at: datetime) -> IntakeResult:
        """As :meth:`receive`, for the universal endpoint: the body names its strategy (:meth:`route`)."""
        strategy = self.route(body)
        if strategy is None:
            return IntakeResult(None, "ignored")
        return await self._store(prepare(strategy, body, content_type, received_at, by_secret=False))

    def route(self, body: bytes) -> StrategyView | None:
        """The strategy a universal-endpoint body names: by its webhook secret or alert secret
        (``secret``/``api_sec``), else by PineConnector License ID plus ``strategy`` name; ``None`` if none."""
        routing = extract_routing(body)
        strategies = self._view.catalog.strategies.values()
        if routing.secret:
            for s in strategies:
                if routing.secret in (s.webhook_secret, s.alert_secret):
                    return s
        if routing.license_id:
            hits = [
                s
                for s in strategies
                if s.license_id == routing.license_id and (not routing.strategy or s.name == routing.strategy)
            ]
            if len(hits) == 1:
                return hits[0]
        return None

    async def _store(self, prepared: Prepared) -> IntakeResult:
        return await self._writer.submit(lambda tx: self.store(tx, prepared), within=WRITER_WAIT_SECONDS)

    def store(self, tx: WriteTx, prepared: Prepared) -> IntakeResult:
        """The writer op: gate and store one prepared alert (writer thread)."""
        strategy = tx.catalog.strategies.get(prepared.strategy.id)
        if strategy is None or (prepared.by_secret and strategy.webhook_secret != prepared.strategy.webhook_secret):
            return IntakeResult(None, "ignored")  # deleted, or its secret rotated, while the alert was on its way
        if strategy is not prepared.strategy and strategy.parse_key() != prepared.strategy.parse_key():
            prepared = prepared.reparsed(strategy)
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
        )
        verdict = gates.decide(alert)
        signal_id = self._insert_signal(tx, prepared, strategy, verdict)
        if alert.halt is not None:
            tx.execute(
                "UPDATE tv_strategies SET trading_halted = ?, updated_at = ? WHERE id = ?",
                (int(alert.halt), sql_time(tx.now), strategy.id),
            )
        status = verdict.status if verdict is not None else SignalStatus.PENDING
        if verdict is None:
            self._insert_job(tx, prepared, strategy, signal_id)
        if alert.halt is not None:
            tx.catalog = tx.catalog.with_strategy(replace(strategy, trading_halted=alert.halt))
        if status in (SignalStatus.PENDING, SignalStatus.EXECUTED):
            tx.counters.counted(strategy.id, tx.now, +1)
        if verdict is not None:
            tx.resolved(self._final(prepared, strategy, signal_id, verdict, tx.now))
            logger.info("signal #%s %s by %s: %s", signal_id, verdict.status, verdict.gate, verdict.message)
        return IntakeResult(signal_id, status)

    @staticmethod
    def _insert_signal(tx: WriteTx, p: Prepared, strategy: StrategyView, verdict: Verdict | None) -> int:
        intent = p.parsed if isinstance(p.parsed, TradeIntent) else None
        action, volume = _describe(intent) if intent is not None else (None, None)
        executed = verdict is not None and verdict.status == SignalStatus.EXECUTED
        now = sql_time(tx.now)
        cur = tx.execute(
            _INSERT_SIGNAL,
            (
                strategy.id,
                (verdict.status if verdict is not None else SignalStatus.PENDING).value,
                intent.symbol if intent is not None else None,
                action,
                volume,
                p.body[:MAX_BODY_BYTES].decode("utf-8", errors="replace"),
                p.content_type,
                p.intent_json,
                intent.alert_id if intent is not None else None,
                p.digest,
                sql_time(intent.alert_time) if intent is not None and intent.alert_time is not None else None,
                verdict.message if verdict is not None and not executed else None,
                json.dumps([verdict.message] if executed and verdict is not None and verdict.message else []),
                sql_time(p.received_at),
                now,
                now if verdict is not None else None,
                now,
                verdict.gate if verdict is not None else None,
            ),
        )
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    def _insert_job(self, tx: WriteTx, p: Prepared, strategy: StrategyView, signal_id: int) -> None:
        assert isinstance(p.parsed, TradeIntent) and p.intent_json is not None and p.settings is not None
        # every strategy's magic number and name as of this commit (the agent tells their shares apart by it)
        settings = dict(p.settings, comment=f"tvb:{signal_id}", owners=owners_of(tx.catalog.strategies.values()))
        payload = f'{{"strategy_id":{strategy.id},"intent":{p.intent_json},"settings":{json.dumps(settings)}}}'
        deadline = gates.deadline(strategy, p.parsed, tx.now)
        cur = tx.execute(_INSERT_JOB, (signal_id, strategy.agent_id, payload, sql_time(deadline), sql_time(tx.now)))
        assert cur.lastrowid is not None
        self._jobs.queued(tx, strategy.agent_id, int(cur.lastrowid))

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
            notes=[verdict.message] if executed and verdict.message else [],
            received_at=p.received_at,
            acked_at=now,
            resolved_at=now,
            decided_by=verdict.gate,
        )
