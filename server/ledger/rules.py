"""A strategy's ownership, exit and pyramiding settings on their way to the agent.

Every job carries them in :class:`contract.settings.ExecutionSettings` (:func:`execution_fields`, used by the
intake when it prepares the job), with ``owners``: every strategy's magic number and name, archived ones included
(their shares may still be open; :func:`owners_of`, added when the job is written), so the agent can tell another
strategy's share from a manual trade and name it.
The agent's exit monitor also reads the exit rules of all its strategies (:func:`exit_rules_of`), so a rule set while
no alert arrives still takes effect.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from contract.settings import ExitRules
from server.models import Strategy


def owners_of(strategies: Iterable[Any]) -> dict[str, str]:
    """Every strategy's magic number (as a JSON key) -> name, archived ones included (their shares may be open)."""
    return {str(s.magic_number): s.name for s in strategies}


def execution_fields(strategy: Any) -> dict[str, Any]:
    """The settings of ``strategy`` (a :class:`server.view.StrategyView` or a row) this module adds to its jobs'
    :class:`~contract.settings.ExecutionSettings`; ``owners`` holds the strategy's own name here, and every
    strategy's when the job is written (:func:`owners_of`, in the writer's transaction)."""
    return {
        "netting_against_others": strategy.netting_against_others,
        "shared_stops": strategy.shared_stops,
        "owners": {strategy.magic_number: strategy.name},
        "max_hold_minutes": strategy.max_hold_minutes,
        "flat_at": strategy.flat_at,
        "trading_session": strategy.trading_session,
        "rules_timezone": strategy.rules_timezone,
        "max_entries_per_direction": strategy.max_entries_per_direction,
        "close_opposite_first": strategy.close_opposite_first,
    }


def exit_rules_of(session: Session, agent_id: str) -> list[ExitRules]:
    """The exit rules of every live strategy of ``agent_id`` that has a rule (archived strategies hold nothing)."""
    stmt = select(Strategy).where(Strategy.agent_id == agent_id, col(Strategy.archived_at).is_(None))
    rules = [
        ExitRules(
            magic_number=s.magic_number, max_hold_minutes=s.max_hold_minutes, flat_at=s.flat_at,
            rules_timezone=s.rules_timezone,
        )
        for s in session.exec(stmt).all()
    ]
    return [r for r in rules if r.active]
