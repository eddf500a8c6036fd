"""``/api/v1/account``, ``/api/v1/positions``, ``/api/v1/agents``, ``/api/v1/tunnel``: read-only state."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session, col, select

from server.deps import ServerCtx
from server.models import AccountSnapshot, Agent, Strategy
from server.reflected import lowest, reflected_signal
from server.schemas import bounds
from server.schemas.account import AccountPublic, AgentPublic, PositionPublic, PositionsPublic, TunnelStatus
from server.schemas.errors import INVALID, UNAUTHORIZED, not_found

router = APIRouter(prefix="/api/v1", tags=["account"], responses=UNAUTHORIZED)


@router.get("/account", responses=INVALID)
async def read_account(
    ctx: ServerCtx,
    agent_id: Annotated[
        str | None, Query(min_length=1, max_length=bounds.MAX_AGENT_ID_CHARS, description="Only this agent's.")
    ] = None,
) -> list[AccountPublic]:
    """The latest account snapshot of each agent (or of ``agent_id``), without its positions (``/positions``)."""

    def query() -> list[AccountPublic]:
        with Session(ctx.engine) as session:
            stmt = select(AccountSnapshot).order_by(col(AccountSnapshot.agent_id))
            if agent_id is not None:
                stmt = stmt.where(AccountSnapshot.agent_id == agent_id)
            return [
                AccountPublic.model_validate(
                    s.model_dump(exclude={"positions", "pending_orders", "as_of_finish"})
                    | {"as_of_signal": reflected_signal(session, s)}
                )
                for s in session.exec(stmt).all()
            ]

    return await run_in_threadpool(query)


@router.get("/positions", responses={**not_found("strategy"), **INVALID})
async def read_positions(
    ctx: ServerCtx,
    strategy_id: Annotated[
        int | None, Query(ge=1, le=bounds.MAX_ID, description="Only this strategy's (by its magic number).")
    ] = None,
) -> PositionsPublic:
    """Open positions from the agents' latest snapshots; with ``strategy_id``, only that strategy's (by its
    magic number) from every account it trades on (its ``agent_id`` and its further ``accounts``) or still holds
    positions on. ``as_of_signal`` is the lowest of the included snapshots' versions (server/reflected.py)."""

    def query() -> PositionsPublic | None:
        with Session(ctx.engine) as session:
            owners = {s.magic_number: s for s in session.exec(select(Strategy)).all()}
            snaps = list(session.exec(select(AccountSnapshot).order_by(col(AccountSnapshot.agent_id))).all())
            if strategy_id is not None:
                strategy = session.get(Strategy, strategy_id)
                if strategy is None:
                    return None
                snaps = [s for s in snaps if _trades_on(strategy, s)]
            positions: list[PositionPublic] = []
            for snap in snaps:
                for raw in snap.positions:
                    owner = owners.get(int(raw.get("magic", 0)))
                    if strategy_id is not None and (owner is None or owner.id != strategy_id):
                        continue
                    positions.append(
                        PositionPublic(
                            **raw,
                            agent_id=snap.agent_id,
                            strategy_id=owner.id if owner else None,
                            strategy_name=owner.name if owner else None,
                        )
                    )
            return PositionsPublic(
                as_of_signal=lowest([reflected_signal(session, s) for s in snaps]),
                taken_at=min((s.taken_at for s in snaps), default=None),
                positions=positions,
            )

    found = await run_in_threadpool(query)
    if found is None:
        raise HTTPException(404, f"No strategy with id {strategy_id}.")
    return found


def _trades_on(strategy: Strategy, snap: AccountSnapshot) -> bool:
    """Whether ``snap``'s account is one ``strategy`` trades on (its primary agent or a further account), or one that
    still holds a position of its magic number (an account since taken out of its ``accounts``)."""
    agents = {strategy.agent_id, *(str(a.get("agent_id")) for a in strategy.accounts)}
    return snap.agent_id in agents or any(int(p.get("magic", 0)) == strategy.magic_number for p in snap.positions)


@router.get("/agents")
async def list_agents(ctx: ServerCtx) -> list[AgentPublic]:
    """Every agent that ever connected, with its last-seen time and terminal health."""

    def query() -> list[AgentPublic]:
        with Session(ctx.engine) as session:
            agents = session.exec(select(Agent).order_by(col(Agent.id))).all()
            return [AgentPublic.model_validate(a.model_dump()) for a in agents]

    return await run_in_threadpool(query)


@router.get("/tunnel")
async def read_tunnel(ctx: ServerCtx) -> TunnelStatus:
    """The tunnel's state (``disabled``/``starting``/``online``/``reconnecting``/``error``/``stopped``),
    its public URL and the reason in plain words."""
    return TunnelStatus.model_validate(ctx.tunnel_status())
