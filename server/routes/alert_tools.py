"""The alert builder's tools: read a message as a strategy would (``parse``), and send one as a test alert.

``POST /api/v1/strategies/{id}/parse`` runs the strategy's alert parser and the gates that need no database
state (strategy disabled, trading paused, alert secret, allowed pairs) and answers what the alert asks for in
sentences. Nothing is stored or traded.

``POST /api/v1/strategies/{id}/dry-run`` answers the same, plus the exact orders the planner would send against
the live account now: a dry-run job the strategy's agent plans and never sends (server/dry_run.py), answered within
10 s, or at once with a sentence when no agent is connected. Nothing is stored as a signal.

``POST /api/v1/strategies/{id}/test-alert`` hands the message to the same intake as the strategy's webhook
URL (``server.intake.AlertIntake.receive`` with the strategy's webhook secret): the
alert is stored, gated, queued and traded exactly as if TradingView had posted it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from contract import TradeIntent
from server import gates
from server.alerts import MAX_BODY_BYTES, AlertRejected, parse_alert
from server.context import ServerContext
from server.dashboard.words import intent_words
from server.dry_run import dry_run
from server.intake import Sender, StorageUnavailable, parse_context
from server.models import utcnow
from server.schemas.errors import BAD_BODY, refusals
from server.security_events import ENDPOINT_TEST_ALERT
from server.signatures import sign
from server.strategies import StrategyNotFound
from server.view import StrategyView

router = APIRouter(prefix="/api/v1/strategies/{strategy_id}", tags=["alert builder"])

#: A strategy id as SQLite stores it (a signed 64-bit integer).
StrategyId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class AlertMessage(BaseModel):
    """An alert message exactly as TradingView would post it (any format, at most 64 KiB)."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=MAX_BODY_BYTES)


class ParsedAlert(BaseModel):
    """How the strategy reads a message, without storing or trading it.

    ``accepted``: the parser understood it and no settings-only gate refuses it. ``refusal``: the sentence the
    signal log would show when it is refused. ``words``: what it asks for, one sentence per step or detail.
    ``warnings``: reasons it would be refused or discarded right now (strategy disabled, trading paused, ...).
    ``format``: ``json``, ``pineconnector``, ``key_value`` or ``plain_text``. ``intent``: the parsed
    intent as stored with a signal (``agent.intent.TradeIntent``)."""

    accepted: bool
    format: str | None = None
    symbol: str | None = None
    words: list[str] = Field(default_factory=list)
    refusal: str | None = None
    warnings: list[str] = Field(default_factory=list)
    intent: dict[str, Any] | None = None


class DryRunOrder(BaseModel):
    """One order the planner would send (nothing was sent)."""

    description: str = Field(description="The step in words, e.g. 'open long 0.10 lots EURUSD'.")
    symbol: str = Field(description="The broker's symbol name.")
    type: str = Field(description="`buy`, `sell`, `close buy`, `close sell`, `buy_limit` ..., `sltp`, `remove`.")
    volume: float = Field(description="Volume in lots (0 for changes of SL/TP or a removal).")
    price: float = Field(description="Price in the symbol's quote (0: at market).")
    sl: float = Field(description="Stop loss price (0: none).")
    tp: float = Field(description="Take profit price (0: none).")
    position_ticket: int = Field(description="The position it closes or changes (0: none).")


class DryRunResult(BaseModel):
    """What this alert would do now, without sending anything.

    ``parse``: how the strategy reads the message (as ``/parse`` answers). ``planned``: the strategy's agent
    planned it against the live account; ``outcome`` is then what would happen (``executed``: the ``orders`` would
    be sent; ``rejected``/``discarded``/``failed``/``expired``: ``sentence`` says why nothing would be). ``planned``
    false: ``sentence`` says why there is no plan (the alert is refused, no agent is connected, or it did not answer
    within 10 s). Gates that read the signal log (duplicates, the daily trade cap, the daily loss limit) are not
    evaluated."""

    parse: ParsedAlert
    agent_id: str
    planned: bool
    outcome: str | None = None
    sentence: str
    orders: list[DryRunOrder] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class TestAlertResult(BaseModel):
    """What the webhook answered: the new signal's id and its status right away (``pending`` while the agent
    trades it; a final status when a gate decided at once). Follow it at ``GET /api/v1/signals/{signal_id}``."""

    signal_id: int | None
    status: str


def _strategy(ctx: ServerContext, strategy_id: int) -> StrategyView:
    """The live strategy as intake sees it (the writer's view). :raises HTTPException: 404."""
    strategy = ctx.view.catalog.strategies.get(strategy_id)
    if strategy is None:
        try:
            ctx.strategies.get(strategy_id, include_archived=False)  # for the sentence: unknown or archived
        except StrategyNotFound as exc:
            raise HTTPException(404, str(exc)) from exc
        raise HTTPException(404, f"No strategy with id {strategy_id}.")
    return strategy


def _parse(ctx: ServerContext, strategy: StrategyView, message: str) -> ParsedAlert:
    body = message.encode("utf-8")
    try:
        intent = parse_alert(body, parse_context(strategy))
    except AlertRejected as exc:
        return ParsedAlert(accepted=False, refusal=str(exc))
    settings = ctx.view.catalog.settings
    # The intake gates that read only the alert and the strategy's settings, as intake runs them (server/gates.py).
    alert = gates.Alert(
        strategy=strategy, settings=settings, body_size=len(body), body_hash=gates.body_hash(body), parsed=intent,
        now=utcnow(),
    )
    verdict = gates.alert_secret(alert) or gates.allowed_pairs(alert)
    warnings: list[str] = []
    if not strategy.is_enabled:
        warnings.append(f"Strategy '{strategy.name}' is disabled: its alerts are discarded until you enable it.")
    if settings.trading_paused:
        warnings.append("Trading is paused for all strategies: every alert is discarded until you resume.")
    if strategy.trading_halted and intent.opens_exposure:
        warnings.append(f"Strategy '{strategy.name}' is halted by an eaoff alert: entries are refused until eaon.")
    return ParsedAlert(
        accepted=verdict is None,
        format=str(intent.format),
        symbol=intent.symbol,
        words=intent_words(intent),
        refusal=verdict.message if verdict else None,
        warnings=warnings,
        intent=intent.model_dump(mode="json"),
    )


@router.post("/parse", response_model=ParsedAlert, responses={**refusals({404: "No such strategy."}), **BAD_BODY})
async def parse_message(strategy_id: StrategyId, body: AlertMessage, request: Request) -> ParsedAlert:
    """What this strategy would understand from a message, in words. Stores and trades nothing."""
    ctx: ServerContext = request.app.state.ctx

    def work() -> ParsedAlert:
        return _parse(ctx, _strategy(ctx, strategy_id), body.message)

    return await run_in_threadpool(work)


@router.post(
    "/dry-run",
    response_model=DryRunResult,
    responses={**refusals({404: "No such strategy.", 503: "The dry run could not be queued."}), **BAD_BODY},
)
async def dry_run_message(strategy_id: StrategyId, body: AlertMessage, request: Request) -> DryRunResult:
    """What this alert would do now: the parsed intent in words and the exact orders the planner would send
    against the live account, planned by the strategy's agent. **Nothing is sent** and nothing is stored as a
    signal; answered within 10 s."""
    ctx: ServerContext = request.app.state.ctx

    def read() -> tuple[StrategyView, ParsedAlert]:
        strategy = _strategy(ctx, strategy_id)
        return strategy, _parse(ctx, strategy, body.message)

    strategy, parsed = await run_in_threadpool(read)
    if parsed.intent is None:
        return DryRunResult(
            parse=parsed, agent_id=strategy.agent_id, planned=False,
            sentence=f"Nothing would be sent: {parsed.refusal}",
        )
    if not parsed.accepted:
        return DryRunResult(
            parse=parsed, agent_id=strategy.agent_id, planned=False,
            sentence=f"Nothing would be sent: the alert would be refused. {parsed.refusal}",
        )
    try:
        answer = await dry_run(ctx.queue, strategy, TradeIntent.model_validate(parsed.intent))
    except StorageUnavailable as exc:
        raise HTTPException(503, "The dry run could not be queued; try again.") from exc
    return DryRunResult(
        parse=parsed, agent_id=answer.agent_id, planned=answer.planned, outcome=answer.outcome,
        sentence=answer.sentence, notes=answer.notes,
        orders=[DryRunOrder.model_validate(o.model_dump()) for o in answer.orders],
    )


@router.post(
    "/test-alert",
    response_model=TestAlertResult,
    responses={**refusals({404: "No such strategy.", 503: "The alert could not be stored."}), **BAD_BODY},
)
async def send_test_alert(strategy_id: StrategyId, body: AlertMessage, request: Request) -> TestAlertResult:
    """Send a message through this strategy's webhook path, as TradingView would: it is stored, gated, queued
    and **traded** like any alert."""
    ctx: ServerContext = request.app.state.ctx
    received_at = utcnow()
    strategy = await run_in_threadpool(_strategy, ctx, strategy_id)
    message = body.message.encode("utf-8")
    # A strategy that requires signed alerts gets this one signed by tvbridge itself (the admin holds its key), so
    # the test goes through the signature gate like a signing sender's alert.
    signature = sign(strategy.signing_secret, message) if strategy.signing_secret else None
    sender = Sender(source="dashboard", endpoint=ENDPOINT_TEST_ALERT, signature=signature)
    try:
        result = await ctx.intake.receive(strategy.webhook_secret, message, "text/plain", received_at, sender)
    except StorageUnavailable as exc:
        raise HTTPException(503, "The alert could not be stored; try again.") from exc
    return TestAlertResult(signal_id=result.signal_id, status=str(result.status))
