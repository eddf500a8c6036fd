"""Each account's outcome of signals, read from their jobs for the API (:class:`AccountOutcome`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from contract import SentOrder
from server.models import Job, JobStatus, SignalStatus
from server.schemas.signals import AccountOutcome

_WAITING = {
    JobStatus.HELD.value: SignalStatus.AWAITING_APPROVAL,
    JobStatus.QUEUED.value: SignalStatus.PENDING,
    JobStatus.CLAIMED.value: SignalStatus.PENDING,
}


def account_outcome(job: Job) -> AccountOutcome:
    """One job as its account's outcome: waiting states from the job's status, the rest from its stored result."""
    result: dict[str, Any] = job.result or {}
    waiting = _WAITING.get(job.status)
    if waiting is not None:
        status = waiting
    elif result.get("status") in SignalStatus.__members__.values():
        status = SignalStatus(result["status"])
    else:  # finished by a version that kept no per-account result: the signal's own outcome stands for it
        status = SignalStatus.EXPIRED if job.status == JobStatus.EXPIRED.value else SignalStatus.EXECUTED
    return AccountOutcome(
        agent_id=job.agent_id,
        volume_multiplier=job.volume_multiplier,
        status=status,
        error_message=result.get("error_message"),
        fill_price=result.get("fill_price"),
        order_ticket=result.get("order_ticket"),
        orders=[SentOrder.model_validate(o) for o in result.get("orders") or ()],
    )


def accounts_of(session: Session, signal_ids: Iterable[int]) -> dict[int, list[AccountOutcome]]:
    """The accounts' outcomes of each signal in ``signal_ids``, primary (first job) first."""
    ids = list(signal_ids)
    found: dict[int, list[AccountOutcome]] = defaultdict(list)
    if not ids:
        return found
    stmt = select(Job).where(col(Job.signal_id).in_(ids)).order_by(col(Job.id))
    for job in session.exec(stmt).all():
        if job.signal_id is not None:
            found[job.signal_id].append(account_outcome(job))
    return found
