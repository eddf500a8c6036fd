"""Webhook intake: one alert in, one stored signal (and at most one job) out.

The flow follows docs/architecture.md "Data path of one alert": look up the strategy by its secret, pass the
gates in order, and store the signal — as ``pending`` with its ``trade`` job in ONE transaction when it is
to be traded, or directly in its final state with the reason when a gate stops it. Nothing here talks to
MetaTrader 5, so the webhook answers in milliseconds whatever the broker is doing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from contract.intent import ControlAction, OpenAction, SyncAction, TradeIntent
from contract.jobs import JobSpec
from contract.settings import ExecutionSettings
from server import gates
from server.alerts import AlertRejected, EaDistanceType, EaVolumeType, ParseContext, parse_alert
from server.db import write_lock
from server.ledger.rules import execution_fields
from server.models import AppSettings, Job, Signal, SignalStatus, Strategy, utcnow

logger = logging.getLogger(__name__)

#: Bodies beyond this are refused (TradingView documents no limit; real alerts are well under 4 KiB).
MAX_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class IntakeResult:
    """What the webhook answers. ``signal_id`` is ``None`` for unknown secrets (nothing stored);
    ``wake_agent`` names the agent to wake when a job was queued."""

    signal_id: int | None
    status: str
    wake_agent: str | None = None


class StorageUnavailable(Exception):
    """The alert could not be stored (database locked past its timeout, disk full): answer 503 so
    TradingView resends it (it resends on 5xx except 504, up to 3 times)."""


def parse_context(strategy: Strategy) -> ParseContext:
    """The strategy settings that change how its alert bodies are read."""
    return ParseContext(
        volume_type=EaVolumeType(strategy.volume_type),
        target_type=EaDistanceType(strategy.target_type),
        entry_type=EaDistanceType(strategy.entry_type),
        license_id=strategy.license_id,
        default_symbol=strategy.default_symbol,
        dialects=frozenset(strategy.dialects),
        default_volume_configured=strategy.default_volume is not None,
    )


def execution_settings(strategy: Strategy, signal_id: int) -> ExecutionSettings:
    """The strategy's trading settings as copied into a job; the comment names the signal (``tvb:<id>``)."""
    return ExecutionSettings(
        magic_number=strategy.magic_number,
        comment=f"tvb:{signal_id}",
        default_volume_lots=strategy.default_volume,
        max_lots=strategy.max_lots,
        risk_override_pct=strategy.risk_override_pct,
        symbol_map=strategy.symbol_map,
        symbol_suffix=strategy.symbol_suffix,
        pip_sizes=strategy.pip_sizes,
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


class AlertIntake:
    """Stores alerts for one server process. ``on_resolved`` is called with each signal stored in a final
    state (the tray shows notifications from it); it must not block."""

    def __init__(self, engine: Engine, on_resolved: Callable[[Signal], None] | None = None) -> None:
        self._engine = engine
        self._on_resolved = on_resolved
        self.unknown_secret_hits = 0

    def receive(self, secret: str, body: bytes, content_type: str | None, received_at: datetime) -> IntakeResult:
        """Run the webhook flow for ``body`` posted to the strategy whose webhook secret is ``secret``.

        :raises StorageUnavailable: the signal could not be stored at all.
        """
        try:
            with Session(self._engine) as session:
                strategy = session.exec(select(Strategy).where(Strategy.webhook_secret == secret)).first()
                if strategy is None:
                    self.unknown_secret_hits += 1
                    if self.unknown_secret_hits in (1, 10, 100) or self.unknown_secret_hits % 1000 == 0:
                        logger.warning("webhook for an unknown secret (%d so far)", self.unknown_secret_hits)
                    return IntakeResult(None, "ignored")
                with write_lock(self._engine):
                    return self._store(session, strategy, body, content_type, received_at)
        except OperationalError as exc:
            logger.error("could not store an alert: %s", exc.orig)
            raise StorageUnavailable(str(exc.orig)) from exc

    def receive_for_strategy(
        self, strategy_id: int, body: bytes, content_type: str | None, received_at: datetime
    ) -> IntakeResult:
        """As :meth:`receive`, for a strategy already identified (the universal endpoint, ``tvbridge send``)."""
        try:
            with Session(self._engine) as session:
                strategy = session.get(Strategy, strategy_id)
                if strategy is None:
                    return IntakeResult(None, "ignored")
                with write_lock(self._engine):
                    return self._store(session, strategy, body, content_type, received_at)
        except OperationalError as exc:
            raise StorageUnavailable(str(exc.orig)) from exc

    def _store(
        self, session: Session, strategy: Strategy, body: bytes, content_type: str | None, received_at: datetime
    ) -> IntakeResult:
        # Take SQLite's write lock before the gates: the duplicate check and the insert must be one atomic step,
        # or two copies of one alert arriving together would both pass the check and both be traded.
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        session.refresh(strategy)  # a change made while we waited for the lock (disabled, halted) counts
        now = utcnow()
        signal = Signal(
            strategy_id=strategy.id or 0,
            raw_payload=body[:MAX_BODY_BYTES].decode("utf-8", errors="replace"),
            content_type=content_type,
            body_hash=gates.body_hash(body),
            received_at=received_at,
        )
        settings = session.get(AppSettings, 1) or AppSettings()
        verdict = self._gate(session, strategy, settings, signal, body, now)
        if verdict is not None:
            status, message = verdict
            return self._finish(session, signal, status, message, now)
        intent = TradeIntent.model_validate(signal.intent)
        session.add(signal)
        session.flush()
        spec = JobSpec(
            strategy_id=strategy.id or 0, intent=intent, settings=execution_settings(strategy, signal.id or 0)
        )
        session.add(
            Job(
                signal_id=signal.id,
                agent_id=strategy.agent_id,
                job_type="trade",
                payload=spec.model_dump(mode="json"),
                expires_at=gates.deadline(strategy, intent, now),
            )
        )
        signal.acked_at = utcnow()
        session.commit()
        logger.info("signal #%s queued for agent %s: %s", signal.id, strategy.agent_id, intent.summary())
        return IntakeResult(signal.id, SignalStatus.PENDING, wake_agent=strategy.agent_id)

    def _gate(  # noqa: C901 - one flat list of gates, in the documented order
        self, session: Session, strategy: Strategy, settings: AppSettings, signal: Signal, body: bytes, now: datetime
    ) -> tuple[SignalStatus, str | None] | None:
        """Apply the gates in order; return the final status and reason, or ``None`` to queue the alert.

        Fills ``signal.intent``, ``symbol``, ``action`` and ``volume`` as soon as the body is parsed.
        """
        if not strategy.is_enabled:
            return SignalStatus.DISCARDED, (
                f"Strategy '{strategy.name}' is disabled, so its alerts are not traded. "
                f"Enable it in the tray menu or the dashboard."
            )
        if settings.trading_paused:
            return SignalStatus.DISCARDED, (
                "Trading is paused for all strategies. "
                "Resume it with `tvbridge resume`, the tray menu or the dashboard."
            )
        if len(body) > MAX_BODY_BYTES:
            return SignalStatus.REJECTED, (
                f"The alert message is {len(body)} bytes, larger than the 64 KiB limit. Send only the order fields."
            )
        if gates.daily_loss_breached(session, strategy, settings):
            return SignalStatus.DISCARDED, gates.DAILY_LOSS_LIMIT_REACHED
        try:
            intent = parse_alert(body, parse_context(strategy))
        except AlertRejected as exc:
            return SignalStatus.REJECTED, str(exc)
        signal.intent = intent.model_dump(mode="json")
        signal.symbol = intent.symbol
        signal.action, signal.volume = _describe(intent)
        signal.idempotency_key = intent.alert_id
        signal.alert_time = intent.alert_time
        if strategy.alert_secret and intent.secret != strategy.alert_secret:
            return SignalStatus.REJECTED, (
                "The alert's secret= does not match this strategy's alert secret, so it was not traded. "
                "Fix the secret in the alert message or in the strategy settings."
            )
        reason = gates.symbol_not_allowed(strategy, intent)
        if reason:
            return SignalStatus.REJECTED, reason
        dup = gates.find_duplicate(session, strategy, intent, signal.body_hash or "", now)
        if dup is not None:
            earlier, why = dup
            return SignalStatus.DUPLICATE, (
                f"Duplicate of signal #{earlier.id} ({why}); it was not traded again. "
                f"TradingView resends an alert when a server answers with an error."
            )
        reason = gates.stale_reason(strategy, intent, now)
        if reason:
            return SignalStatus.REJECTED, reason
        control = [a for a in intent.actions if isinstance(a, ControlAction)]
        if control:
            strategy.trading_halted = not control[-1].trading_enabled
            strategy.updated_at = now
            session.add(strategy)
            others = [a for a in intent.actions if not isinstance(a, ControlAction)]
            if not others:
                state = "halted: new entries are refused until an eaon alert" if strategy.trading_halted else "resumed"
                return SignalStatus.EXECUTED, f"Strategy '{strategy.name}' {state}."
        elif strategy.trading_halted and intent.opens_exposure:
            return SignalStatus.DISCARDED, (
                f"Strategy '{strategy.name}' is halted by an eaoff alert; entries are refused until an eaon alert."
            )
        if intent.opens_exposure:
            reason = gates.trade_cap_reached(session, strategy, now)
            if reason:
                return SignalStatus.DISCARDED, reason
        return None

    def _finish(
        self, session: Session, signal: Signal, status: SignalStatus, message: str | None, now: datetime
    ) -> IntakeResult:
        signal.status = status
        if status == SignalStatus.EXECUTED:
            signal.notes = [message] if message else []
        else:
            signal.error_message = message
        signal.acked_at = signal.resolved_at = now
        session.add(signal)
        session.commit()
        session.refresh(signal)
        logger.info("signal #%s %s: %s", signal.id, status, message)
        if self._on_resolved is not None:
            self._on_resolved(signal)
        return IntakeResult(signal.id, status)
