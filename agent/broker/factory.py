"""Opens the broker the agent trades on: the real ``MetaTrader5`` package, or the simulator (paper mode).

This is the one place that chooses; everything downstream runs the same code for every kind, through
:class:`~agent.broker.interface.Broker`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agent.broker.interface import Broker
from agent.mt5.adapter import Mt5Broker, TerminalConfig


@dataclass(frozen=True)
class BrokerConfig:
    """``kind="sim"``: the embedded simulator, its state kept in ``state_dir`` across restarts, with a
    netting or hedging account of ``sim_balance`` (account currency USD), an optional broker suffix and a
    simulated ``order_send`` round trip of ``sim_latency_ms`` milliseconds.
    ``kind="mt5"``: the real terminal at ``terminal`` (Windows only)."""

    kind: Literal["sim", "mt5"] = "sim"
    state_dir: Path | None = None
    sim_margin_mode: Literal["netting", "hedging"] = "netting"
    sim_balance: float = 10_000.0
    sim_symbol_suffix: str = ""
    sim_latency_ms: float = 0.0
    terminal: TerminalConfig = TerminalConfig()


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
        return Mt5Broker(module, config.terminal, kind="mt5")
    from agent import mt5sim
    from agent.mt5sim import control

    control.configure(
        config.state_dir,
        margin_mode=config.sim_margin_mode,
        balance=config.sim_balance,
        symbol_suffix=config.sim_symbol_suffix,
        latency_ms=config.sim_latency_ms,
    )
    return Mt5Broker(mt5sim, TerminalConfig(), kind="sim", price_feed=control.set_quote)
