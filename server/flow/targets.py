"""The accounts a strategy fans out to: each agent at most once, never its primary ``agent_id`` again."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class AccountsConflict(ValueError):
    """A strategy's ``accounts`` name an agent twice, or its primary ``agent_id`` (answered 409 with the sentence)."""


def check_accounts(agent_id: str, accounts: Iterable[Mapping[str, Any]]) -> None:
    """Refuse ``accounts`` that would give one agent two jobs of one signal (exactly once per account).

    :raises AccountsConflict: an agent listed twice, or the primary ``agent_id`` listed as a further account.
    """
    seen: set[str] = set()
    for account in accounts:
        name = str(account.get("agent_id"))
        if name == agent_id:
            raise AccountsConflict(
                f"'{name}' is the strategy's primary agent already (multiplier 1): list only further accounts in "
                "accounts, or change agent_id."
            )
        if name in seen:
            raise AccountsConflict(
                f"The account '{name}' is listed twice: each agent trades a signal at most once, so list it once "
                "with the volume multiplier you want."
            )
        seen.add(name)
