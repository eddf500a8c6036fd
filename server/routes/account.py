"""``/api/v1/account``, ``/api/v1/positions``, ``/api/v1/agents``, ``/api/v1/tunnel``: read-only state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlmodel import Session, col, select

from contract import PositionState
from server.context import ServerContext
from server.models import AccountSnapshot, Agent, Strategy

router = APIRouter(prefix="/api/v1", tags=["account"])


@router.get("/account")
async def read_account(request: Request, agent_id: str | None = None) -> list[dict[str, Any]]:
    """The latest account snapshot of each agent (or of ``agent_id``)."""
    ctx: ServerContext = request.app.state.ctx

    def query() -> list[dict[str, Any]]:
        with Session(ctx.engine) as session:
            stmt = select(AccountSnapshot).order_by(col(AccountSnapshot.agent_id))
            if agent_id is not None:
                stmt = stmt.where(AccountSnapshot.agent_id == agent_id)
            return [s.model_dump(exclude={"positions"}) for s in session.exec(stmt).all()]

    return await run_in_threadpool(query)


class PositionOut(PositionState):
    """An open position with the agent that reported it and, when its magic number is a strategy's, that
    strategy (``strategy_id``/``strategy_name`` are ``None`` for manual trades and other EAs)."""

    agent_id: str
    strategy_id: int | None = None
    strategy_name: str | None = None


class PositionsOut(BaseModel):
    """Open positions from the agents' latest snapshots, with the version they are as of.

    ``as_of_signal``: every signal up to this id whose job these agents finished is reflected (the lowest over
    the agents included; ``None`` when no agent has finished a job since it started). ``taken_at``: when the
    oldest of the snapshots was read from the terminal. Wait for ``as_of_signal >= N`` to see signal N's effect.
    """

    as_of_signal: int | None
    taken_at: datetime | None
    positions: list[PositionOut]


@router.get("/positions", responses={404: {"description": "No such strategy."}})
async def read_positions(request: Request, strategy_id: int | None = None) -> PositionsOut:
    """Open positions from the agents' latest snapshots; with ``strategy_id``, only that strategy's (by its
    magic number, on its agent)."""
    ctx: ServerContext = request.app.state.ctx

    def query() -> PositionsOut | None:
        with Session(ctx.engine) as session:
            owners = {s.magic_number: s for s in session.exec(select(Strategy)).all()}
            snaps = list(session.exec(select(AccountSnapshot)).all())
            if strategy_id is not None:
                strategy = session.get(Strategy, strategy_id)
                if strategy is None:
                    return None
                snaps = [s for s in snaps if s.agent_id == strategy.agent_id]
            positions: list[PositionOut] = []
            for snap in snaps:
                for raw in snap.positions:
                    owner = owners.get(int(raw.get("magic", 0)))
                    if strategy_id is not None and (owner is None or owner.id != strategy_id):
                        continue
                    positions.append(
                        PositionOut(
                            **raw,
                            agent_id=snap.agent_id,
                            strategy_id=owner.id if owner else None,
                            strategy_name=owner.name if owner else None,
                        )
                    )
            versions = [s.as_of_signal for s in snaps]
            return PositionsOut(
                as_of_signal=None if not versions or None in versions else min(v for v in versions if v is not None),
                taken_at=min((s.taken_at for s in snaps), default=None),
                positions=positions,
            )

    found = await run_in_threadpool(query)
    if found is None:
        raise HTTPException(404, f"No strategy with id {strategy_id}.")
    return found


@router.get("/agents")
async def list_agents(request: Request) -> list[dict[str, Any]]:
    """Every agent that ever connected, with its last-seen time and terminal health."""
    ctx: ServerContext = request.app.state.ctx

    def query() -> list[dict[str, Any]]:
        with Session(ctx.engine) as session:
            return [a.model_dump() for a in session.exec(select(Agent).order_by(col(Agent.id))).all()]

    return await run_in_threadpool(query)


@router.get("/tunnel")
async def read_tunnel(request: Request) -> dict[str, Any]:
    """The tunnel's state (``disabled``/``starting``/``online``/``reconnecting``/``error``/``stopped``),
    its public URL and the reason in plain words."""
    ctx: ServerContext = request.app.state.ctx
    return ctx.tunnel_status()
