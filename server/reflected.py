"""What an agent's account snapshot reflects: the one home of the rule, for the API and the delete check.

An agent numbers the jobs it finishes (``JobResult.finish_seq``: 1, 2, 3 ... for its agent id, across processes) and
reads that counter before it reads the terminal (``AccountSnapshot.as_of_finish``), so a snapshot reflects exactly
the jobs numbered up to it. Jobs do not finish in signal order: a signal held for the trader's approval finishes
after later ones, a signal fanned out to several accounts finishes on each when that account gets to it, a job handed
out again finishes late. "The newest signal the agent finished" would then claim an earlier signal that finished
after the terminal was read, and a reader waiting for it would get positions from before it.

:func:`reflected_signal` answers, in signal ids, "every signal up to N whose job this agent finished is reflected":
one less than the lowest signal among the agent's finished jobs numbered above the snapshot's counter, or, when
there is none, the newest signal the agent had finished when it read the terminal (``as_of_signal`` as reported).
A snapshot without ``as_of_finish`` (an agent that does not number its jobs) keeps its reported ``as_of_signal``.

:func:`newer_positions` gives the delete check a strategy's positions read after the snapshot, when one of its jobs
on that account finished after it. It picks the job that finished last, not the newest signal: after an approved
signal 5 finishes behind signal 6, the positions signal 6 read back lack signal 5's.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, func, select

from server.models import AccountSnapshot, Job, JobStatus, Signal


def _done(agent_id: str) -> tuple[Any, ...]:
    # the agent's finished trade jobs (dry runs have no signal: they change nothing)
    return Job.agent_id == agent_id, Job.status == JobStatus.DONE, col(Job.signal_id).is_not(None)


def reflected_signal(session: Session, snap: AccountSnapshot) -> int | None:
    """Every signal up to the returned id whose job ``snap``'s agent finished is reflected in ``snap`` (``None``: no
    such version known, e.g. an agent that has finished no job). See the module docstring for the rule."""
    if snap.as_of_finish is None:  # an agent that does not number its jobs: what it reported, as before
        return snap.as_of_signal
    later = session.exec(
        select(func.min(Job.signal_id)).where(*_done(snap.agent_id), col(Job.finish_seq) > snap.as_of_finish)
    ).one()
    if later is not None:
        return int(later) - 1
    return snap.as_of_signal


def lowest(versions: list[int | None]) -> int | None:
    """The version of several snapshots read together: the lowest; ``None`` when any is unknown or there is none."""
    if not versions or None in versions:
        return None
    return min(v for v in versions if v is not None)


def newer_positions(session: Session, snap: AccountSnapshot, strategy_id: int) -> list[dict[str, Any]] | None:
    """The strategy's positions on ``snap``'s account as its job that finished there last read them back
    (``positions_after``, :class:`contract.PositionState` dicts), when that job finished after ``snap`` read the
    terminal; ``None`` when ``snap`` reflects every job of the strategy there (it is then the newest truth).

    Jobs that sent nothing read nothing back and changed nothing: they are passed over. A snapshot without
    ``as_of_finish`` falls back to signal ids: the strategy's newest signal above its ``as_of_signal``.
    """
    stmt = (
        select(Job)
        .join(Signal, col(Signal.id) == col(Job.signal_id))
        .where(*_done(snap.agent_id), Signal.strategy_id == strategy_id)
    )
    if snap.as_of_finish is not None:
        stmt = stmt.where(col(Job.finish_seq) > snap.as_of_finish).order_by(col(Job.finish_seq).desc())
    else:
        stmt = stmt.where(col(Job.signal_id) > (snap.as_of_signal or 0)).order_by(col(Job.signal_id).desc())
    for job in session.exec(stmt).all():
        positions = (job.result or {}).get("positions_after")
        if positions is not None:
            return list(positions)
    return None
