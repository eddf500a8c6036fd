"""Read-only state: ``/account`` (:class:`AccountPublic`), ``/positions`` (:class:`PositionsPublic`),
``/agents`` (:class:`AgentPublic`), ``/tunnel`` (:class:`TunnelStatus`), ``/healthz`` (:class:`HealthPublic`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from contract import PositionState


class AccountPublic(BaseModel):
    """An agent's latest account figures. Money is in ``currency``, the account currency."""

    agent_id: str = Field(description="The agent (MT5 terminal) that reported it.")
    login: int | None = Field(description="The MT5 account number.")
    server: str | None = Field(description="The broker's trade server.")
    currency: str | None = Field(description="The account currency (every money figure here is in it).")
    margin_mode: str | None = Field(description="`netting` (one position per symbol) or `hedging`.")
    balance: float = Field(description="Balance, in the account currency.")
    equity: float = Field(description="Equity (balance + floating P&L), in the account currency.")
    margin_free: float = Field(description="Free margin, in the account currency.")
    day_start_balance: float = Field(description="Balance before today's realised P&L (day from 00:00 UTC).")
    realized_pnl_today: float = Field(
        description="Profit + swap + commission + fee of today's closing deals of tvbridge strategies."
    )
    pnl_by_magic: dict[str, float] = Field(description="`realized_pnl_today` by magic number (keys as text).")
    taken_at: datetime = Field(description="When the agent read these figures from the terminal (UTC).")
    boot_id: str = Field(description="The reporting agent process; with `seq`, orders its snapshots.")
    seq: int = Field(description="The snapshot's number within that agent process.")
    as_of_signal: int | None = Field(
        description=(
            "Every signal up to this id whose job this agent finished is reflected in these figures (`null`: not "
            "known yet, e.g. the agent has finished no job)."
        )
    )


class PositionPublic(PositionState):
    """An open position with the agent that reported it and, when its magic number is a strategy's, that
    strategy (``strategy_id``/``strategy_name`` are ``null`` for manual trades and other EAs)."""

    agent_id: str = Field(description="The agent (MT5 terminal) that reported it.")
    strategy_id: int | None = Field(default=None, description="The strategy whose magic number it carries.")
    strategy_name: str | None = Field(default=None, description="That strategy's name.")


class PositionsPublic(BaseModel):
    """Open positions from the agents' latest snapshots, with the version they are as of.

    Once signal N has its outcome, wait for ``as_of_signal >= N`` to see its effect. Jobs do not finish in signal
    order (approval, several accounts): a signal that finishes behind later ones lowers ``as_of_signal`` below
    itself until a snapshot read after it arrives (server/reflected.py).
    """

    as_of_signal: int | None = Field(
        description=(
            "Every signal up to this id whose job these agents finished is reflected (the lowest over the agents "
            "included; `null` when no agent has finished a job since it started)."
        )
    )
    taken_at: datetime | None = Field(description="When the oldest of the snapshots was read from the terminal.")
    positions: list[PositionPublic] = Field(description="Every open position of the agents included.")


class AgentPublic(BaseModel):
    """An agent process (one MT5 terminal) as last seen by the server."""

    id: str = Field(description="The agent id.")
    broker: str | None = Field(description="`sim` (the built-in simulator) or `mt5`.")
    version: str | None = Field(description="The agent's tvbridge version.")
    terminal_connected: bool | None = Field(description="Whether the agent is connected to its terminal.")
    trade_allowed: bool | None = Field(description="Whether AutoTrading is on in the terminal.")
    last_error: str | None = Field(description="The agent's last problem, in a sentence (`null`: none).")
    last_seen_at: datetime | None = Field(description="When the agent last polled or reported (UTC).")


class TunnelStatus(BaseModel):
    """The public tunnel (ngrok) that TradingView posts through."""

    state: Literal["disabled", "starting", "online", "reconnecting", "error", "stopped"] = Field(
        description="Where the tunnel is."
    )
    public_url: str | None = Field(description="The public base URL while online.")
    reason: str = Field(description="The state in plain words, with what to do when it is not online.")
    since: datetime | None = Field(default=None, description="When the tunnel entered this state (UTC).")


class HealthPublic(BaseModel):
    """The server is up."""

    status: Literal["ok"] = Field(default="ok", description="Always `ok`: an answer at all means the server is up.")
