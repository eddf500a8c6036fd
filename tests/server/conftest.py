"""The server's write path on a real SQLite file, without HTTP: a migrated database, the writer with its view, the
job queue and the intake, as the runtime composes them."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine

from server.agents import AgentService
from server.db import make_engine, migrate
from server.intake import AlertIntake
from server.models import Signal
from server.queue import JobQueue
from server.strategies import StrategyService
from server.view import View
from server.writer import Writer

T = TypeVar("T")


@dataclass
class Store:
    """A running writer on ``path`` with the services built on it. ``resolved`` collects the signals the writer
    reported final."""

    path: Path
    engine: Engine
    writer: Writer
    view: View
    jobs: JobQueue
    intake: AlertIntake
    agents: AgentService
    strategies: StrategyService
    resolved: list[Signal] = field(default_factory=list)

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read with a connection of its own, as a separate process would."""
        with sqlite3.connect(self.path) as conn:
            return list(conn.execute(sql, params).fetchall())

    def strategy(self, name: str = "s", **settings: Any) -> Any:
        return self.strategies.create(name, **settings)


def run(coro: Awaitable[T]) -> T:
    """Run ``coro`` on a fresh event loop (the tests drive the async API without a web server)."""
    return asyncio.run(_wrap(coro))


async def _wrap(coro: Awaitable[T]) -> T:
    return await coro


def start_store(path: Path) -> Store:
    migrations = make_engine(path)
    migrate(migrations)
    migrations.dispose()
    engine = make_engine(path, read_only=True)
    view = View()
    resolved: list[Signal] = []
    writer = Writer(path, view, on_resolved=resolved.append)
    writer.start()
    jobs = JobQueue(writer, engine)
    return Store(
        path=path,
        engine=engine,
        writer=writer,
        view=view,
        jobs=jobs,
        intake=AlertIntake(writer, view, jobs),
        agents=AgentService(writer),
        strategies=StrategyService(engine, lambda: "http://127.0.0.1:1", writer),
        resolved=resolved,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    running = start_store(tmp_path / "w.db")
    yield running
    running.writer.stop()
    running.engine.dispose()


class Gate:
    """Holds the writer inside one op until :meth:`open`, so that ops submitted meanwhile queue up and are
    applied together as the next group (no sleeps: the test knows the writer is inside the op)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self._open = threading.Event()

    def op(self, _tx: Any) -> None:
        self.entered.set()
        assert self._open.wait(10), "the gate was never opened"

    def open(self) -> None:
        self._open.set()


async def hold_writer(writer: Writer) -> tuple[Gate, asyncio.Future[None]]:
    """Start an op that holds ``writer`` busy; returns the gate and the op's pending result."""
    gate = Gate()
    held = asyncio.ensure_future(writer.submit(gate.op))
    await asyncio.get_running_loop().run_in_executor(None, gate.entered.wait, 10)
    return gate, held


async def grouped(writer: Writer, ops: list[Callable[[Any], T]]) -> list[T | BaseException]:
    """Submit ``ops`` while the writer is held, so they form one group; their results (or errors) in order."""
    gate, held = await hold_writer(writer)
    futures = [asyncio.ensure_future(writer.submit(op)) for op in ops]
    await asyncio.sleep(0)  # every submit has queued its op
    gate.open()
    await held
    return list(await asyncio.gather(*futures, return_exceptions=True))
