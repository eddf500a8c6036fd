"""Signal models of ``/api/v1/signals``: :class:`SignalPublic` and its :class:`SignalTimings`."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contract import PositionState, SentOrder, TradeIntent
from server.models import SignalStatus

#: Where a trader approved or rejected a signal (server.flow.approval.Via).
Via = Literal["dashboard", "tray", "cli", "api"]


class AccountOutcome(BaseModel):
    """How one account (agent) handled a signal: a strategy trading on several accounts has one per account, the
    primary first; every signal that reached an agent has at least its primary's."""

    agent_id: str = Field(description="The agent (one MT5 terminal) of this account.")
    volume_multiplier: float = Field(description="Factor on every entry volume on this account (1 on the primary).")
    status: SignalStatus = Field(
        description="`awaiting_approval` while held for the trader, `pending` while queued or running, then this "
        "account's own outcome."
    )
    error_message: str | None = Field(description="Why it was not executed on this account.")
    fill_price: float | None = Field(description="Price of this account's last deal.")
    order_ticket: int | None = Field(description="MT5 ticket of this account's last order.")
    orders: list[SentOrder] = Field(description="The requests sent to this account's terminal.")


class ApproveRequest(BaseModel):
    """Approve a signal that awaits approval (its strategy has `require_approval`)."""

    model_config = ConfigDict(extra="forbid")

    via: Via = Field(default="api", description="Where the trader decided (said in the signal's note).")


class RejectRequest(BaseModel):
    """Reject a signal that awaits approval: nothing is sent."""

    model_config = ConfigDict(extra="forbid")

    via: Via = Field(default="api", description="Where the trader decided (said in the signal's sentence).")
    reason: str | None = Field(
        default=None, max_length=200, description="The trader's reason, added to the signal's sentence."
    )


class SignalTimings(BaseModel):
    """When each step of a signal happened (UTC), and the steps' delays in milliseconds from receipt."""

    received_at: datetime = Field(description="When the webhook request was read.")
    acked_at: datetime | None = Field(description="When the signal was stored and the webhook answered.")
    sent_at: datetime | None = Field(description="When the agent sent the first order to the terminal.")
    filled_at: datetime | None = Field(description="When the last order filled.")
    ack_ms: float | None = Field(description="Milliseconds from receipt to the webhook's answer.")
    send_ms: float | None = Field(description="Milliseconds from receipt to the first `order_send`.")
    fill_ms: float | None = Field(description="Milliseconds from receipt to the last fill.")


class SignalPublic(BaseModel):
    """One received alert and its single outcome, with what was understood and what was sent."""

    id: int = Field(description="The signal's id; never reused. Orders carry it in their comment (`tvb:<id>`).")
    strategy_id: int = Field(description="The strategy whose webhook URL received the alert.")
    strategy_name: str | None = Field(description="That strategy's name.")
    symbol: str | None = Field(description="The symbol as the alert wrote it (`null` when it named none).")
    action: str | None = Field(description="The first step: `buy`, `sell`, `buy_limit`, `close_long`, `eaoff` ...")
    volume: float | None = Field(description="The first step's volume in lots, when the alert gave lots.")
    status: SignalStatus = Field(
        description="`pending` (or `awaiting_approval`, for a strategy with manual approval) until the one final "
        "outcome."
    )
    fill_price: float | None = Field(description="Price of the last deal, in the symbol's quote.")
    order_ticket: int | None = Field(description="MT5 ticket of the last order sent.")
    error_message: str | None = Field(description="Why it was not executed, in a sentence a trader can act on.")
    decided_by: str | None = Field(
        description="What decided the outcome: an intake gate's name (server/gates.py: strategy_disabled, "
        "trading_paused, body_size, daily_loss_limit, parse, alert_secret, allowed_pairs, duplicate, max_age, "
        "ea_switch, halted, daily_trade_cap), 'agent' for a job's outcome, 'expiry' for a job no agent took in time "
        "(or a signal left awaiting approval past its max age), 'trader' for a signal the trader rejected; null while "
        "pending or awaiting approval."
    )
    notes: list[str] = Field(description="Further sentences (what an executed signal did beyond the plain order).")
    raw_payload: str = Field(description="The alert body as received (at most 64 KiB, UTF-8 with replacements).")
    content_type: str | None = Field(description="The request's Content-Type (recorded, never used).")
    intent: TradeIntent | None = Field(description="What the alert asked for, normalized (`null`: not parsed).")
    orders: list[SentOrder] = Field(description="The requests sent to the terminal and what it answered.")
    positions_after: list[PositionState] | None = Field(
        description="The strategy's positions as its agent read them right after the last order."
    )
    created_at: datetime = Field(description="When the signal was stored (UTC).")
    resolved_at: datetime | None = Field(description="When it reached its final status (UTC).")
    timings: SignalTimings = Field(description="When each step happened, and its delay from receipt.")
    accounts: list[AccountOutcome] = Field(
        default_factory=list,
        description="Each account's own outcome (one per agent the strategy trades on, the primary first); empty when "
        "no job was made (refused at intake). The signal's `status` is derived from them: `executed` if every "
        "account executed, the common outcome if none did and all ended alike, else `failed` naming the accounts.",
    )
