"""The agent's settings: which broker, which account, and where the server is.

One pydantic-settings class read from ``TVBRIDGE_*`` environment variables (the app passes every resolved
setting to the agent process that way). The desktop app's settings (``tray.settings.Settings``) extend this
class, so each setting is defined once and ``settings.toml`` holds the agent's settings too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from agent.broker.factory import BrokerConfig
from agent.mt5.adapter import TerminalConfig
from agent.watchdog import WatchdogLimits


class AgentSettings(BaseSettings):
    """What an agent needs to know besides its token.

    - ``admin_port``: the admin listener's port on this machine (the agent's server is ``admin_url``).
    - ``broker``: ``sim`` (embedded simulator, paper trading) or ``mt5`` (the real terminal, Windows).
    - ``agent_id``: this agent's id; strategies name the agent that trades them.
    - ``sim_*``: the simulated account: netting or hedging, starting balance (USD), broker symbol suffix, the
      broker round trip of each order in milliseconds (0: instant; 100-300 is typical of a real broker), the
      trade server's clock offset from UTC in seconds (10800: a server at UTC+3), and the paper market's price
      feed (``alert``: the alerts' prices; ``random_walk``: a walk with each symbol's typical volatility and spread,
      seeded by ``sim_seed``; ``terminal``: the real terminal's live quotes, Windows).
    - ``mt5_path``/``mt5_login``/``mt5_server``: the terminal64.exe to drive and the account (password in the keyring).
    - ``deal_sync_seconds``: how often the agent posts new deals to the ledger when no job ran (it also posts right
      after every job), in seconds.
    - ``log_level``: ``DEBUG``, ``INFO``, ``WARNING`` ...
    - ``broker_*_limit_seconds``: the watchdog (agent/watchdog.py): a broker read, connect or write still running
      after this many seconds ends the agent process (the app restarts it; the job is reconciled by its comment).
      A write is also ended when the agent's lease on its agent id stops being valid.
    """

    model_config = SettingsConfigDict(env_prefix="TVBRIDGE_", extra="ignore")

    admin_port: int = 8766
    broker: Literal["sim", "mt5"] = "sim"
    agent_id: str = "default"
    sim_margin_mode: Literal["netting", "hedging"] = "netting"
    sim_balance: float = 10_000.0
    sim_symbol_suffix: str = ""
    sim_latency_ms: float = 0.0
    sim_time_offset_seconds: int = 0
    sim_price_feed: Literal["alert", "random_walk", "terminal"] = "alert"
    sim_seed: int | None = None
    mt5_path: str | None = None
    mt5_login: int | None = None
    mt5_server: str | None = None
    deal_sync_seconds: float = 10.0
    log_level: str = "INFO"
    broker_read_limit_seconds: float = Field(default=60.0, ge=1.0, le=3600.0)
    broker_connect_limit_seconds: float = Field(default=120.0, ge=1.0, le=3600.0)
    broker_write_limit_seconds: float = Field(default=30.0, ge=1.0, le=3600.0)

    @property
    def admin_url(self) -> str:
        """Base URL of the admin listener."""
        return f"http://127.0.0.1:{self.admin_port}"

    def watchdog_limits(self) -> WatchdogLimits:
        """The watchdog's limits, in seconds."""
        return WatchdogLimits(
            read=self.broker_read_limit_seconds,
            connect=self.broker_connect_limit_seconds,
            write=self.broker_write_limit_seconds,
        )

    def broker_config(self, data_dir: Path, mt5_password: str | None = None) -> BrokerConfig:
        """The broker these settings describe; the simulator keeps its book in ``data_dir/simulator/<agent id>``, the
        measured trade-server clock lives in ``data_dir/agents/<agent id>/server-clock.json``."""
        return BrokerConfig(
            kind=self.broker,
            state_dir=data_dir / "simulator" / self.agent_id,
            sim_margin_mode=self.sim_margin_mode,
            sim_balance=self.sim_balance,
            sim_symbol_suffix=self.sim_symbol_suffix,
            sim_latency_ms=self.sim_latency_ms,
            sim_time_offset_seconds=self.sim_time_offset_seconds,
            sim_price_feed=self.sim_price_feed,
            sim_seed=self.sim_seed,
            terminal=TerminalConfig(
                path=self.mt5_path, login=self.mt5_login, server=self.mt5_server, password=mt5_password
            ),
            clock_file=data_dir / "agents" / self.agent_id / "server-clock.json",
        )
