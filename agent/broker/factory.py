"""Opens the broker the agent trades on: the real ``MetaTrader5`` package, or the simulator (paper mode).

This is the one place that chooses; everything downstream runs the same code for every kind, through
:class:`~agent.broker.interface.Broker`.
"""

from __future__ import annotations

import importlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agent.broker.interface import Broker
from agent.mt5.adapter import Mt5Broker, TerminalConfig

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BrokerConfig:
    """``kind="sim"``: the embedded simulator, its state kept in ``state_dir`` across restarts, with a
    netting or hedging account of ``sim_balance`` (account currency USD), an optional broker suffix and a
    simulated ``order_send`` round trip of ``sim_latency_ms`` milliseconds, a trade-server clock
    ``sim_time_offset_seconds`` ahead of UTC, and a market moved by ``sim_price_feed``: ``alert`` (the alert's
    price, the only move), ``random_walk`` (a walk seeded by ``sim_seed``, random when ``None``; alerts' prices
    still re-anchor it) or ``terminal`` (the live quotes of the real MetaTrader 5 terminal, Windows only).
    Its desk folder (``state_dir/desk``, :mod:`agent.mt5sim.desk`) takes manual trades and market events.
    ``kind="mt5"``: the real terminal at ``terminal`` (Windows only).
    ``clock_file``: where the measured trade-server clock offset is kept across restarts (both kinds)."""

    kind: Literal["sim", "mt5"] = "sim"
    state_dir: Path | None = None
    sim_margin_mode: Literal["netting", "hedging"] = "netting"
    sim_balance: float = 10_000.0
    sim_symbol_suffix: str = ""
    sim_latency_ms: float = 0.0
    sim_time_offset_seconds: int = 0
    sim_price_feed: Literal["alert", "random_walk", "terminal"] = "alert"
    sim_seed: int | None = None
    terminal: TerminalConfig = TerminalConfig()
    clock_file: Path | None = None


class BrokerNotInstalled(RuntimeError):
    """The configured broker cannot be used on this machine (e.g. MetaTrader5 is not installed)."""


def open_broker(config: BrokerConfig) -> Broker:
    """Build the broker for ``config`` (not yet connected: call ``connect()``).

    :raises BrokerNotInstalled: ``kind="mt5"`` but the MetaTrader5 package cannot be imported.
    """
    if config.kind == "mt5":
        try:
            module = importlib.import_module("MetaTrader5")
        except ImportError as exc:
            raise BrokerNotInstalled(
                "The MetaTrader5 package is not installed. It exists for Windows only; on other systems use "
                'the simulator (broker = "sim").'
            ) from exc
        return Mt5Broker(module, config.terminal, kind="mt5", clock_file=config.clock_file)
    from agent import mt5sim
    from agent.mt5sim import control
    from agent.mt5sim.desk import Desk

    control.configure(
        config.state_dir,
        margin_mode=config.sim_margin_mode,
        balance=config.sim_balance,
        symbol_suffix=config.sim_symbol_suffix,
        latency_ms=config.sim_latency_ms,
    )
    control.set_time_offset(config.sim_time_offset_seconds)
    if config.state_dir is not None:
        Desk(config.state_dir / "desk").start()
    price_feed = _start_feed(config)
    return Mt5Broker(mt5sim, TerminalConfig(), kind="sim", price_feed=price_feed, clock_file=config.clock_file)


def _start_feed(config: BrokerConfig) -> Callable[[str, float], None] | None:
    """Start the paper market's price feed; returns what follows an alert's price (``None``: live quotes rule)."""
    from agent.mt5sim import control
    from agent.mt5sim.feed import RandomWalk, TerminalQuotes

    if config.sim_price_feed == "random_walk":
        seed = config.sim_seed if config.sim_seed is not None else secrets.randbits(32)
        logger.info("paper market: random walk, seed %s", seed)
        RandomWalk(seed).start()
    elif config.sim_price_feed == "terminal":
        try:
            module = importlib.import_module("MetaTrader5")
        except ImportError:
            logger.warning(
                "paper market: live quotes need the MetaTrader5 package (Windows, with a terminal installed); "
                "it is not installed here, so prices follow the alerts' prices instead."
            )
            return control.set_quote
        live = TerminalQuotes(module, path=config.terminal.path)
        if live.connect():
            live.start()
            return None
    return control.set_quote
