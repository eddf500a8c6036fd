"""The exit monitor: closes a strategy's positions that pass its exit rules (the seed's "exit monitor").

Rules per strategy (:class:`~contract.settings.ExitRules`): a maximum hold time (``max_hold_minutes`` after the
position, or on netting the strategy's share, first opened) and a daily flat time (``flat_at``, ``HH:MM`` in
``rules_timezone``: a position opened before the latest such moment is closed). The agent learns the rules from
every job's settings at once and from ``GET /api/v1/agents/{id}/exit-rules`` every :data:`REFRESH_SECONDS` (a rule
changed while no alert arrives still reaches it), and keeps them in ``exit-rules.json`` across restarts.

A close sends only what the strategy owns: a whole position (hedging: by ticket and magic number) or the strategy's
own share of the netting position (:mod:`agent.shares`), with the order comment ``tvb-exit:hold`` or
``tvb-exit:flat`` (:data:`contract.settings.EXIT_COMMENTS`), which the ledger reads back as the exit reason. It
runs under the executor's lock, so it never acts on a position a job is planning for. Times of positions are the
trade server's clock: without a known clock offset nothing is closed (a wrong offset could close hours early).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from agent.atomic import write_atomic
from agent.broker.errors import BrokerUnavailable, OrderOutcomeUnknown, OrderRefused
from agent.broker.interface import Broker
from agent.broker.models import ClosePosition, MarginMode
from agent.client import ContractMismatch
from agent.ledger_client import LedgerClient
from agent.planner.rules import clock, zone
from agent.planner.types import PlanRejected
from agent.shares import read_share
from agent.snapshot import utcnow
from contract import TradeJob
from contract.intent import PositionSide
from contract.settings import EXIT_COMMENTS, ExitRules

logger = logging.getLogger(__name__)

#: Seconds between checks.
CHECK_SECONDS = 5.0
#: Seconds between reads of the rules from the server.
REFRESH_SECONDS = 60.0
#: Seconds a position whose close was refused waits before the next try (market closed, frozen ...).
RETRY_SECONDS = 60.0
#: Accepted slippage of a rule's close, in points.
DEVIATION_POINTS = 20


@dataclass(frozen=True)
class Exit:
    """A close the monitor made: the strategy's ``magic``, the position ``ticket``, ``volume`` lots, the rule that
    called for it (``max_hold``/``flat_time``) and the broker's answer (``code``, ``message``)."""

    magic: int
    ticket: int
    symbol: str
    volume: float
    rule: str
    code: int | None
    message: str


def due(rule: ExitRules, opened: datetime, now: datetime) -> str | None:
    """Which rule calls for closing a position opened at ``opened`` (aware UTC) at ``now``: ``max_hold``,
    ``flat_time`` or ``None``.

    :raises PlanRejected: the rule's time zone is unknown.
    """
    if rule.max_hold_minutes is not None and now - opened >= timedelta(minutes=rule.max_hold_minutes):
        return "max_hold"
    if rule.flat_at is not None:
        tz = zone(rule.rules_timezone)
        local = now.astimezone(tz)
        flat = datetime.combine(local.date(), clock(rule.flat_at), tz)
        if flat > local:
            flat = datetime.combine(local.date() - timedelta(days=1), clock(rule.flat_at), tz)
        if opened < flat:
            return "flat_time"
    return None


class ExitMonitor:
    """Enforces exit rules on ``broker``. ``lock`` is the executor's (held while a job runs); ``client`` reads the
    rules from the server (``None``: only from jobs); ``state_file`` keeps them across restarts; ``clock`` is aware
    UTC now."""

    def __init__(
        self,
        broker: Broker,
        lock: AbstractContextManager[object],
        *,
        client: LedgerClient | None = None,
        state_file: Path | None = None,
        clock: Callable[[], datetime] = utcnow,
        interval: float = CHECK_SECONDS,
    ) -> None:
        self.broker = broker
        self.lock = lock
        self.client = client
        self.state_file = state_file
        self._clock = clock
        self.interval = interval
        self.rules: dict[int, ExitRules] = self._load()
        self._retry_after: dict[tuple[int, int], float] = {}
        self._refreshed = -float("inf")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()

    # -- rules ---------------------------------------------------------------------------------------------

    def learn(self, job: TradeJob) -> None:
        """Take the rules a job's settings carry (the newest word on its strategy)."""
        self._set(job.settings.exit_rules())

    def refresh(self) -> None:
        """Replace the rules by the server's (every strategy this agent trades). :raises httpx.HTTPError:"""
        if self.client is None:
            return
        rules = {r.magic_number: r for r in self.client.exit_rules() if r.active}
        with self._guard:
            self.rules = rules
        self._save()

    def _set(self, rule: ExitRules) -> None:
        with self._guard:
            if rule.active:
                self.rules[rule.magic_number] = rule
            elif self.rules.pop(rule.magic_number, None) is None:
                return
        self._save()

    def _load(self) -> dict[int, ExitRules]:
        if self.state_file is None:
            return {}
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
            rules = [ExitRules.model_validate(r) for r in data]
        except (OSError, ValueError):
            return {}
        return {r.magic_number: r for r in rules if r.active}

    def _save(self) -> None:
        if self.state_file is None:
            return
        with self._guard:
            data = [r.model_dump() for r in self.rules.values()]
        try:
            write_atomic(self.state_file, json.dumps(data))
        except OSError as exc:
            logger.warning("exit rules not saved: %s", exc)

    # -- checking --------------------------------------------------------------------------------------------

    def check(self) -> list[Exit]:
        """Close every position (or netting share) that passes its strategy's rule; returns the closes sent."""
        with self._guard:
            rules = dict(self.rules)
        if not rules:
            return []
        with self.lock:
            offset = self.broker.server_offset()
            if offset is None:
                return []
            account = self.broker.account()
            netting = account.margin_mode is MarginMode.NETTING
            now = self._clock()
            done: list[Exit] = []
            for position in self.broker.positions():
                for magic, rule in rules.items():
                    if netting:
                        share = read_share(self.broker, position, magic, (), account.currency_digits).own
                        lots, opened_msc = abs(share.volume), share.opened_msc or position.time * 1000
                    elif position.magic == magic:
                        lots, opened_msc = position.volume, position.time * 1000
                    else:
                        continue
                    if lots <= 0:
                        continue
                    opened = datetime.fromtimestamp(opened_msc / 1000 - offset, now.tzinfo)
                    try:
                        reason = due(rule, opened, now)
                    except PlanRejected as exc:
                        logger.warning("exit rules of magic %s not applied: %s", magic, exc)
                        continue
                    if reason is not None and time.monotonic() >= self._retry_after.get((magic, position.ticket), 0):
                        done.append(self._close(magic, position.ticket, position.symbol, position.side, lots, reason))
            return done

    def _close(self, magic: int, ticket: int, symbol: str, side: str, lots: float, rule: str) -> Exit:
        spec = self.broker.symbol_spec(symbol)
        quote = self.broker.quote(symbol)
        long = side == "long"
        volume = min(lots, spec.volume_max) if spec.volume_max > 0 else lots
        request = ClosePosition(
            symbol=symbol, position=ticket, position_side=PositionSide.LONG if long else PositionSide.SHORT,
            volume=round(volume, 8), price=quote.bid if long else quote.ask, deviation_points=DEVIATION_POINTS,
            magic=magic, comment=EXIT_COMMENTS[rule],
        )
        try:
            receipt = self.broker.close_position(request)
        except (OrderRefused, OrderOutcomeUnknown) as exc:
            # Never re-sent blindly: an unknown outcome shows in the next check's positions.
            self._retry_after[(magic, ticket)] = time.monotonic() + RETRY_SECONDS
            logger.warning("exit rule %s: closing %s lots of #%s %s refused: %s", rule, volume, ticket, symbol, exc)
            return Exit(magic, ticket, symbol, volume, rule, getattr(exc, "code", None), str(exc))
        logger.info("exit rule %s: closed %s lots of #%s %s (magic %s)", rule, receipt.volume, ticket, symbol, magic)
        return Exit(magic, ticket, symbol, receipt.volume or volume, rule, receipt.code, receipt.sentence)

    # -- thread ----------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Check every ``interval`` seconds (and read the server's rules every minute) until :meth:`stop`."""
        self._thread = threading.Thread(target=self._run, name="exit-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop checking, and wait for a check in progress (a close it is sending) to finish: after this returns
        the monitor sends nothing, so the agent may release its lease. Idempotent."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if time.monotonic() - self._refreshed >= REFRESH_SECONDS:
                try:
                    self.refresh()
                    self._refreshed = time.monotonic()
                except (httpx.HTTPError, ContractMismatch) as exc:
                    logger.debug("exit rules not refreshed: %s", exc)
            try:
                self.check()
            except (BrokerUnavailable, OrderRefused) as exc:
                logger.debug("exit rules not checked now: %s", exc)
            except Exception:  # the monitor must never take the agent down
                logger.exception("exit rule check failed")
