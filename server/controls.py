"""The trader's controls of issue 13 on the server side: what travels to the agent, and duplicates by meaning.

- :func:`control_fields`: a strategy's risk multiplier, lot cap mode and exposure cap, added to every job's
  :class:`contract.settings.ExecutionSettings` (the agent applies them: it alone reads the terminal).
- :func:`account_caps`: the account-wide exposure caps of the settings row, added when the job is written.
- :func:`meaning_of` / :func:`find_same_meaning`: with ``dedup_by = "meaning"`` an entry repeats an earlier signal
  when it asks for the same symbol, direction and timeframe within the strategy's dedup window, whatever its
  price, comment or other fields (the E2E flow spec's rule; TradingView fires one alert per bar and condition,
  so two entries of one meaning in one window are a repeat, not a second trade).

The timeframe gate itself lives with the other intake gates (:func:`server.gates.timeframe`).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from typing import Any

from contract.intent import OpenAction, SyncAction, TradeIntent
from server.db import sql_time
from server.view import SettingsView, StrategyView

#: Signals of one strategy within one dedup window that are compared (a window holds far fewer in practice).
MAX_COMPARED = 2_000

#: SQL condition on a ``tv_signals`` row: the signal traded or may still trade — ``executed``, ``pending``,
#: ``awaiting_approval`` (server/flow/approval.py), or ``failed`` after only some of its accounts executed it
#: (server/flow/outcome.py: it traded all the same, so a repeat must not trade those accounts again).
TRADED_OR_LIVE = (
    "(+status IN ('executed', 'pending', 'awaiting_approval') OR (+status = 'failed' AND EXISTS (SELECT 1 FROM jobs"
    " WHERE jobs.signal_id = tv_signals.id AND json_extract(jobs.result, '$.status') = 'executed')))"
)

_SAME_WINDOW = (  # constants of this module only: no input reaches the SQL text
    f"SELECT id, intent FROM tv_signals WHERE created_at >= ? AND +strategy_id = ? AND {TRADED_OR_LIVE}"  # noqa: S608
    " ORDER BY id DESC LIMIT ?"
)


def control_fields(strategy: StrategyView) -> dict[str, Any]:
    """The strategy's controls as :class:`~contract.settings.ExecutionSettings` fields."""
    return {
        "risk_multiplier": strategy.risk_multiplier,
        "max_lots_mode": strategy.max_lots_mode,
        "max_exposure_pct": strategy.max_exposure_pct,
        "exposure_basis": strategy.exposure_basis,
    }


def account_caps(settings: SettingsView) -> dict[str, Any]:
    """The account-wide caps as :class:`~contract.settings.ExecutionSettings` fields."""
    return {
        "account_max_exposure_pct": settings.account_max_exposure_pct,
        "account_exposure_basis": settings.account_exposure_basis,
        "account_max_open_positions": settings.account_max_open_positions,
    }


def _base_symbol(symbol: str) -> str:
    return symbol.split(":")[-1].strip().upper()


def _direction(action: dict[str, Any] | OpenAction | SyncAction) -> str | None:
    data = action if isinstance(action, dict) else action.model_dump(mode="json")
    if data.get("type") == "open":
        return str(data.get("side"))
    if data.get("type") == "sync":
        return {"long": "buy", "short": "sell"}.get(str(data.get("target")))
    return None


def meaning_of(intent: TradeIntent | dict[str, Any]) -> tuple[str, str, str | None] | None:
    """``(symbol, direction, timeframe)`` of an entry: the symbol without its exchange prefix, upper-case; ``buy``
    or ``sell`` from its first step that opens exposure; the canonical timeframe (``None``: the alert named none).
    ``None`` for alerts that open nothing (exits are never refused as duplicates by meaning)."""
    data = intent.model_dump(mode="json") if isinstance(intent, TradeIntent) else intent
    symbol = data.get("symbol")
    if not symbol:
        return None
    for action in data.get("actions") or ():
        direction = _direction(action)
        if direction is not None:
            return _base_symbol(str(symbol)), direction, data.get("timeframe")
    return None


def describe_meaning(meaning: tuple[str, str, str | None]) -> str:
    """``"EURUSD buy on 1h"`` (``"... without a timeframe"`` when the alerts name none)."""
    symbol, direction, timeframe = meaning
    return f"{symbol} {direction} " + (f"on {timeframe}" if timeframe else "without a timeframe")


def find_same_meaning(
    conn: sqlite3.Connection, strategy: StrategyView, intent: TradeIntent, now: datetime
) -> tuple[int, str] | None:
    """The newest signal of ``strategy`` within its dedup window that traded or may still trade and has the same
    :func:`meaning_of` as ``intent``: its id and why; ``None`` when there is none (or ``intent`` is not an entry).
    Runs in the writer, so an alert sees every alert stored before it."""
    meaning = meaning_of(intent)
    window = strategy.dedup_window_seconds
    if meaning is None or window <= 0:
        return None
    rows = conn.execute(
        _SAME_WINDOW,
        (sql_time(now - timedelta(seconds=window)), strategy.id, MAX_COMPARED),
    ).fetchall()
    for signal_id, stored in rows:
        if not stored:
            continue
        try:
            earlier = json.loads(stored) if isinstance(stored, str) else stored
        except ValueError:
            continue
        if isinstance(earlier, dict) and meaning_of(earlier) == meaning:
            return int(signal_id), (
                f"the same {describe_meaning(meaning)} within {window} s; this strategy counts duplicates by meaning"
            )
    return None
