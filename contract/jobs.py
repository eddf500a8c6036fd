"""Jobs the server hands to agents, and what agents report back.

A job is claimed by one agent, executed at most once against its terminal, and answered by exactly one
:class:`JobResult` (the server ignores a repeated report of a finished job). A ``dry_run`` job is planned against
the live account and never sent: its result carries the orders the planner would send (:class:`PlannedOrder`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contract.account import PositionState
from contract.intent import TradeIntent
from contract.settings import ExecutionSettings
from contract.version import CONTRACT_VERSION


class JobSpec(BaseModel):
    """What the server stores for a job at intake: the strategy, the parsed alert and the strategy's settings
    as they were when it arrived (a later edit of the strategy never changes a queued job)."""

    strategy_id: int
    intent: TradeIntent
    settings: ExecutionSettings


class TradeJob(JobSpec):
    """A job as an agent receives it from ``GET /api/v1/agents/{agent_id}/jobs/next``.

    ``deadline`` (aware UTC) is the moment after which nothing of it may be sent: the strategy's max signal
    age counted from when TradingView fired the alert. ``attempts`` counts deliveries (a job handed out again
    after an agent restart has ``attempts > 1``); ``claimed_at`` is when the latest claim happened.

    ``kind``: ``trade`` (send it) or ``dry_run`` (plan it against the live account, send nothing, report the
    planned orders; ``signal_id`` is then 0: a dry run is no signal). ``quarantine``: a sentence when the server
    quarantined the job (handed out too often without a result): the agent only looks for its orders at the
    broker and reports them, or fails the signal with this sentence; it never sends anything of it.
    """

    contract_version: int = CONTRACT_VERSION
    id: int
    kind: Literal["trade", "dry_run"] = "trade"
    signal_id: int
    attempts: int = 1
    claimed_at: AwareDatetime | None = None
    deadline: AwareDatetime
    quarantine: str | None = None


class JobOutcome(StrEnum):
    """How a job ended; it becomes its signal's final status."""

    EXECUTED = "executed"
    FAILED = "failed"
    REJECTED = "rejected"
    DISCARDED = "discarded"
    EXPIRED = "expired"


class SentOrder(BaseModel):
    """One request the agent sent, or found in the terminal after a crash, and what the terminal answered.

    ``type`` is a readable name of the request (``buy``, ``sell``, ``close sell``, ``buy limit``, ``sltp``,
    ``remove`` ...); ``volume`` in lots (the filled volume for deals); ``price``/``sl``/``tp`` in the
    symbol's price; ``order_ticket``/``deal_ticket``/``position_ticket`` the MT5 tickets (0 when none: a
    pending order has no deal); ``retcode`` the trade server return code (``None`` when the order was found
    after the fact and its answer is unknown), ``retcode_name`` its MQL5 name (``TRADE_RETCODE_DONE``) and
    ``message`` the terminal's answer as a sentence for the trader. ``requested_volume`` is the lots the request
    asked for (0.0 when it asked for none); ``partial`` is True when the broker filled less (retcode 10010
    TRADE_RETCODE_DONE_PARTIAL, or a deal volume below the request): ``volume`` is then the filled part.
    ``type_time`` is a pending order's lifetime as sent (``gtc``, ``day``, ``specified``, ``specified_day``; ``""``
    for requests without one) and ``expiration`` its expiry in trade-server epoch seconds (0 unless specified).
    """

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    description: str = ""
    symbol: str
    type: str
    volume: float = 0.0
    price: float = 0.0
    sl: float = 0.0
    tp: float = 0.0
    order_ticket: int = 0
    deal_ticket: int = 0
    position_ticket: int = 0
    retcode: int | None = None
    retcode_name: str = ""
    message: str = ""
    comment: str = ""
    requested_volume: float = 0.0
    partial: bool = False
    type_time: Literal["", "gtc", "day", "specified", "specified_day"] = ""
    expiration: int = Field(default=0, ge=0)


class PlannedOrder(BaseModel):
    """One request the planner would send for a dry run, nothing sent: ``type`` as in :class:`SentOrder`
    (``buy``, ``close sell``, ``buy_limit``, ``sltp`` ...), ``volume`` in lots, ``price``/``sl``/``tp`` in the
    symbol's price (0.0: at market / none), ``position_ticket`` the position it closes or changes (0: none)."""

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    description: str
    symbol: str
    type: str
    volume: float = 0.0
    price: float = 0.0
    sl: float = 0.0
    tp: float = 0.0
    position_ticket: int = 0


class JobResult(BaseModel):
    """An agent's report on one job (``POST /api/v1/agents/{agent_id}/jobs/{job_id}/result``).

    ``error_message`` is a sentence a trader can act on (required unless executed). ``fill_price`` is the
    last deal's price; ``order_ticket`` the MT5 ticket of the last order. ``sent_at``/``filled_at`` are aware
    UTC. ``positions_after`` are the strategy's open positions (all symbols, by its magic number) as the
    agent read them after its last order: the state this signal left, so a reader never has to guess whether
    a later snapshot already shows it (``None`` when the agent could not read them).
    ``reconciled`` marks a result found in the terminal after an agent restart rather than sent now.
    ``planned`` (dry runs only): the orders the planner would send; ``status`` then says what would happen
    (``executed``: they would be sent; otherwise the sentence says why nothing would be).
    ``finish_seq``: the job's number in the order this agent id finished its jobs (1, 2, 3 ... across every process
    of the agent id; :class:`AgentProgress` tells a starting process where to go on). A snapshot whose
    :attr:`~contract.account.AccountSnapshot.as_of_finish` is at least this number reflects the job. ``None``: an
    agent that does not number its jobs (dry runs are never numbered: they change nothing).
    """

    model_config = ConfigDict(allow_inf_nan=False)

    status: JobOutcome
    error_message: str | None = None
    fill_price: float | None = None
    order_ticket: int | None = None
    orders: list[SentOrder] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    sent_at: AwareDatetime | None = None
    filled_at: AwareDatetime | None = None
    reconciled: bool = False
    positions_after: list[PositionState] | None = None
    planned: list[PlannedOrder] | None = None
    finish_seq: int | None = Field(default=None, ge=1, lt=2**63)

    @classmethod
    def refused(cls, status: JobOutcome, message: str, **extra: object) -> JobResult:
        """A result that sent nothing (or stopped part-way): ``status`` with its sentence."""
        return cls.model_validate({"status": status, "error_message": message, **extra})



#: Most jobs or results one batch request carries.
MAX_BATCH = 256


class JobBatch(BaseModel):
    """Jobs claimed for an agent by one poll (``POST /api/v1/agents/{agent_id}/jobs/claim``), oldest first; empty
    when none came in time. Each job carries its own ``contract_version``."""

    jobs: list[TradeJob] = Field(default_factory=list)


class JobReport(BaseModel):
    """One job's outcome inside a :class:`ResultBatch`."""

    job_id: int
    result: JobResult


class ResultBatch(BaseModel):
    """Several job outcomes in one post (``POST /api/v1/agents/{agent_id}/results``); each is recorded as if
    posted alone, and a repeated report of a finished job is ignored."""

    results: list[JobReport] = Field(max_length=MAX_BATCH)


class AgentProgress(BaseModel):
    """Where an agent id stands on the server (``GET /api/v1/agents/{agent_id}/progress``), read by an agent process
    when it starts or takes its lease back: ``last_finished_signal`` is the newest signal whose job for this agent id
    is done, ``last_finish_seq`` the highest :attr:`JobResult.finish_seq` stored for it (``None``: none yet). The
    process numbers its next finished job one above it, so the numbers only go up across processes and machines."""

    last_finished_signal: int | None = None
    last_finish_seq: int | None = None


class JobRelease(BaseModel):
    """Claimed jobs an agent hands back without having started them (``POST .../jobs/release``), e.g. when it
    stops with jobs in hand; they return to the queue."""

    job_ids: list[int] = Field(max_length=MAX_BATCH)
