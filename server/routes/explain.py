"""``GET /api/v1/signals/{id}/explanation``: one signal in words, for the signal's detail page.

What the alert asked for (from its stored intent), which stage decided its outcome, and every order sent with
its retcode's name and sentence as the agent reported them (MQL5 ENUM_TRADE_RETURN_CODES).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ValidationError
from sqlmodel import Session, col, select

from contract.intent import TradeIntent
from server.context import ServerContext
from server.dashboard.words import intent_words
from server.models import Job, Signal
from server.schemas.errors import refusals

router = APIRouter(prefix="/api/v1/signals", tags=["signals"])

#: Sentence fragments of the server's gates (server/intake.py, server/gates.py) -> the gate's name.
#: The intake gates' names (``server/gates.py: GATES``, stored as the signal's ``decided_by``) in words.
_GATE_WORDS = {
    "signature": "signature (signed alerts)",
    "license_id": "License ID",
    "rate_limit": "rate limit",
    "strategy_disabled": "strategy enabled",
    "trading_paused": "trading paused",
    "body_size": "message size",
    "daily_loss_limit": "daily loss limit",
    "parse": "alert parser",
    "alert_secret": "alert secret",
    "allowed_pairs": "allowed pairs",
    "timeframe": "allowed timeframes",
    "duplicate": "duplicates",
    "max_age": "max signal age",
    "ea_switch": "eaoff/eaon",
    "halted": "eaoff halt",
    "daily_trade_cap": "max trades per day",
}


class OrderExplained(BaseModel):
    """One request sent to the terminal (``type`` e.g. ``buy``, ``sell_limit``, ``close``, ``sltp``; ``volume``
    in lots; prices in the symbol's price; ``order_ticket`` the MT5 order ticket, ``deal_ticket`` the deal
    ticket) and the answer: ``retcode`` with its constant name and sentence (``None`` when found by reconciliation)."""

    description: str
    symbol: str
    type: str
    volume: float
    price: float
    sl: float
    tp: float
    order_ticket: int
    deal_ticket: int
    retcode: int | None
    retcode_name: str | None
    retcode_sentence: str | None


class SignalExplanation(BaseModel):
    """``stage``: ``server`` (a gate decided before any job), ``queue`` (no agent took it in time), ``agent``
    (the agent refused before sending), ``terminal`` (orders were sent), ``trader`` (rejected by the trader) or
    ``waiting`` (for the agent, or for the trader's approval). ``gate``: the server gate
    that decided, when ``stage`` is ``server``. ``decided_by``: that in one sentence. ``intent_words``: what the
    alert asked for (empty when it could not be read)."""

    signal_id: int
    status: str
    stage: str
    gate: str | None
    decided_by: str
    intent_words: list[str]
    orders: list[OrderExplained]


def _gate(decided_by: str | None) -> str:
    return _GATE_WORDS.get(decided_by or "", decided_by or "a server gate")


def _stage(signal: Signal, job: Job | None) -> tuple[str, str | None, str]:
    if signal.status == "awaiting_approval":
        return "waiting", None, (
            "Waiting for your approval: approve or reject it; unapproved, it expires at the strategy's max signal age."
        )
    if signal.status == "pending":
        return "waiting", None, "Still waiting: the agent has not reported an outcome yet."
    if signal.decided_by == "trader":
        return "trader", None, "You rejected it before anything was sent to MetaTrader 5."
    if signal.orders:
        return "terminal", None, "The agent sent orders to MetaTrader 5; the terminal's answers are below."
    if job is None:
        if signal.status == "executed":
            return "server", "eaoff/eaon", "The server carried it out at once (a strategy switch)."
        gate = _gate(signal.decided_by)
        return "server", gate, f"The server's '{gate}' check decided before any order was sent."
    if job.status == "expired" or signal.status == "expired":
        if "approval" in str((job.result or {}).get("error_message") or ""):
            return "queue", None, "Nobody approved it before its deadline, so nothing was sent."
        return "queue", None, "No agent took it before its deadline, so nothing was sent."
    return "agent", None, "The agent decided before sending anything to MetaTrader 5."


def _orders(signal: Signal) -> list[OrderExplained]:
    out = []
    for o in signal.orders:
        code = o.get("retcode")
        out.append(
            OrderExplained(
                description=str(o.get("description") or ""),
                symbol=str(o.get("symbol") or ""),
                type=str(o.get("type") or ""),
                volume=float(o.get("volume") or 0.0),
                price=float(o.get("price") or 0.0),
                sl=float(o.get("sl") or 0.0),
                tp=float(o.get("tp") or 0.0),
                order_ticket=int(o.get("order_ticket") or 0),
                deal_ticket=int(o.get("deal_ticket") or 0),
                retcode=code if isinstance(code, int) else None,
                retcode_name=o.get("retcode_name") or None,
                retcode_sentence=o.get("message") or None,
            )
        )
    return out


def explain(signal: Signal, job: Job | None) -> SignalExplanation:
    """The explanation of ``signal`` (``job``: its trade job, if one was queued)."""
    words: list[str] = []
    if signal.intent:
        try:
            words = intent_words(TradeIntent.model_validate(signal.intent))
        except ValidationError:  # an intent stored by an older version: show the rest anyway
            words = []
    stage, gate, sentence = _stage(signal, job)
    return SignalExplanation(
        signal_id=signal.id or 0,
        status=signal.status,
        stage=stage,
        gate=gate,
        decided_by=sentence,
        intent_words=words,
        orders=_orders(signal),
    )


@router.get("/{signal_id}/explanation", response_model=SignalExplanation,
            responses=refusals({404: "No such signal."}))
async def read_explanation(signal_id: Annotated[int, Path(ge=1, le=2**63 - 1)], request: Request) -> SignalExplanation:
    """One signal in words: what it asked for, which stage decided, and each order's retcode in a sentence."""
    ctx: ServerContext = request.app.state.ctx

    def query() -> SignalExplanation | None:
        with Session(ctx.engine) as session:
            signal = session.get(Signal, signal_id)
            if signal is None:
                return None
            job = session.exec(select(Job).where(Job.signal_id == signal_id).order_by(col(Job.id).desc())).first()
            return explain(signal, job)

    found = await run_in_threadpool(query)
    if found is None:
        raise HTTPException(404, f"No signal with id {signal_id}.")
    return found
