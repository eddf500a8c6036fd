"""The job queue on real SQLite: claims are atomic, expiry never lets a late job run."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session

from server.db import make_engine, migrate
from server.models import Job, JobStatus, Signal, SignalStatus, Strategy, utcnow
from server.queue import JobQueue


def _engine(tmp_path: Path):
    engine = make_engine(tmp_path / "q.db")
    migrate(engine)
    with Session(engine) as s:
        s.add(Strategy(name="s", webhook_secret="x", magic_number=1))
        s.commit()
    return engine


def _enqueue(engine, n: int, agent: str = "default", expires_in: float = 60) -> list[int]:
    ids = []
    with Session(engine) as s:
        for _ in range(n):
            sig = Signal(strategy_id=1)
            s.add(sig)
            s.flush()
            job = Job(signal_id=sig.id, agent_id=agent, expires_at=utcnow() + timedelta(seconds=expires_in))
            s.add(job)
            s.flush()
            ids.append(job.id)
        s.commit()
    return ids


def test_concurrent_claims_take_each_job_exactly_once(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    ids = _enqueue(engine, 60)
    queue = JobQueue(engine)
    claimed: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        while (job := queue.claim_next("default")) is not None:
            with lock:
                claimed.append(job.id)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == ids


def test_claims_are_per_agent_and_in_order(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    a = _enqueue(engine, 2, agent="a")
    b = _enqueue(engine, 1, agent="b")
    queue = JobQueue(engine)
    assert queue.claim_next("b").id == b[0]
    assert queue.claim_next("b") is None
    assert [queue.claim_next("a").id, queue.claim_next("a").id] == a
    assert [j.id for j in queue.unfinished("a")] == a


def test_overdue_jobs_expire_with_their_signal_and_cannot_be_claimed(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    [late] = _enqueue(engine, 1, expires_in=-1)
    [fresh] = _enqueue(engine, 1, expires_in=60)
    queue = JobQueue(engine)
    expired = queue.expire_overdue()
    assert len(expired) == 1
    with Session(engine) as s:
        job = s.get(Job, late)
        assert job.status == JobStatus.EXPIRED
        signal = s.get(Signal, job.signal_id)
        assert signal.status == SignalStatus.EXPIRED
        assert "max signal age" in signal.error_message
    assert queue.claim_next("default").id == fresh
