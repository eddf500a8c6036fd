"""Dry runs: what would this alert do now? The strategy's agent plans it against the live account and sends nothing.

A dry run is a job of kind ``dry_run`` (:class:`contract.TradeJob`) queued for the strategy's agent like any
other, but with no signal: nothing of it enters the signal log, the daily trade count or the ledger. The agent runs
the same symbol resolution, market reads and planner as for a trade and reports the requests it *would* send
(:class:`contract.PlannedOrder`) without calling any broker write. The admin request waits for that report for at
most :data:`WAIT_SECONDS`; with no agent holding its lease it answers at once, saying so.

Gates that need the signal log (duplicates, the daily trade cap, the daily loss limit) are not evaluated: a dry run
answers what the planner would send, and ``server/routes/alert_tools.py``'s parse answer lists the settings gates.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from contract import JobOutcome, JobResult, PlannedOrder, TradeIntent
from server.db import sql_time
from server.intake import execution_settings
from server.ledger.rules import owners_of
from server.queue import JobQueue
from server.view import StrategyView
from server.writer import WriteTx

logger = logging.getLogger(__name__)

#: Longest wait for the agent's plan, in seconds (also the dry-run job's deadline: it is never planned later).
WAIT_SECONDS = 10.0

#: The order comment a dry run plans with (it names no signal; nothing with it is ever sent).
DRY_RUN_COMMENT = "tvb:dry-run"

_INSERT = """
INSERT INTO jobs (signal_id, agent_id, job_type, status, payload, attempts, expires_at, created_at)
VALUES (NULL, ?, 'dry_run', 'queued', ?, 0, ?, ?)
"""


@dataclass
class DryRunAnswer:
    """What the agent answered, or why nothing was planned.

    ``planned``: the agent planned it (``outcome`` and ``orders`` are its answer: ``executed`` means the orders
    would be sent; otherwise ``sentence`` says why nothing would be). ``planned`` False: ``sentence`` says why there
    is no plan (no agent connected, no answer in time)."""

    agent_id: str
    planned: bool
    sentence: str
    outcome: str | None = None
    orders: list[PlannedOrder] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


async def dry_run(
    queue: JobQueue, strategy: StrategyView, intent: TradeIntent, wait: float = WAIT_SECONDS
) -> DryRunAnswer:
    """Queue a dry run of ``intent`` for ``strategy``'s agent and wait up to ``wait`` seconds for its plan.

    :raises StorageUnavailable: the dry-run job could not be stored.
    """
    agent_id = strategy.agent_id
    lease = queue.leases.peek(agent_id)
    if lease is None or not lease.live(queue.leases.now()):
        return DryRunAnswer(
            agent_id, False,
            f"No agent is connected for agent id '{agent_id}', so nothing could be planned against the account. "
            f"Start tvbridge's agent (or the agent beside your MetaTrader 5 terminal) and try again.",
        )
    settings = execution_settings(strategy, 0).model_copy(update={"comment": DRY_RUN_COMMENT}).model_dump()

    def insert(tx: WriteTx) -> int:
        # every strategy's magic number and name, as a trade job has them (the agent tells netting shares apart)
        owners = owners_of(tx.catalog.strategies.values())
        payload = json.dumps({
            "strategy_id": strategy.id, "intent": intent.model_dump(mode="json"),
            "settings": dict(settings, owners=owners),
        })
        deadline = tx.now + timedelta(seconds=wait)
        cur = tx.execute(_INSERT, (agent_id, payload, sql_time(deadline), sql_time(tx.now)))
        assert cur.lastrowid is not None
        queue.queued(tx, agent_id, int(cur.lastrowid))
        return int(cur.lastrowid)

    job_id = await queue.writer.submit(insert)
    future = queue.dry_runs.expect(job_id)
    try:
        result = await asyncio.wait_for(future, wait)
    except TimeoutError:
        logger.info("dry run %s: agent %s did not answer within %.0f s", job_id, agent_id, wait)
        return DryRunAnswer(
            agent_id, False,
            f"The agent '{agent_id}' did not answer within {wait:.0f} s (it may be busy sending other alerts, or its "
            f"terminal is not responding). Nothing was sent; try again in a moment.",
        )
    finally:
        queue.dry_runs.forget(job_id)
    return _answer(agent_id, result)


def _answer(agent_id: str, result: JobResult) -> DryRunAnswer:
    orders = list(result.planned or [])
    if result.status is JobOutcome.EXECUTED and orders:
        n = len(orders)
        sentence = (
            f"Sent now, this alert would place {'this order' if n == 1 else f'these {n} orders'} "
            f"(nothing was sent):"
        )
    elif result.status is JobOutcome.EXECUTED:
        sentence = "Sent now, this alert would send no order: " + ("; ".join(result.notes) or "nothing to do.")
    else:
        sentence = f"Sent now, this alert would end {result.status.value}: {result.error_message or ''}".strip()
    return DryRunAnswer(agent_id, True, sentence, result.status.value, orders, list(result.notes))
