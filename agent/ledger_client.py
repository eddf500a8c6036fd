"""The agent's HTTP client for the ledger's agent routes (agent token, contract version checked).

- ``POST /api/v1/agents/{agent_id}/deals``: a :class:`~contract.deals.DealBatch`;
- ``GET  /api/v1/agents/{agent_id}/deals/cursor?login=``: where the deal sync resumes;
- ``GET  /api/v1/agents/{agent_id}/exit-rules``: the exit rules of the strategies this agent trades.

Kept apart from the job loop's client (:mod:`agent.client`) so the deal sync and the exit monitor never share a
connection, nor a retry policy, with the job loop. Network errors raise ``httpx.HTTPError``; a server of another
contract version raises :class:`agent.client.ContractMismatch`.
"""

from __future__ import annotations

from typing import Any

import httpx

from agent.client import ContractMismatch
from contract import CONTRACT_HEADER, CONTRACT_VERSION, DealBatch, SyncCursor
from contract.settings import ExitRules


class LedgerClient:
    """Talks to ``/api/v1/agents/{agent_id}/deals`` and ``/exit-rules`` of the admin listener at ``admin_url``."""

    def __init__(
        self, admin_url: str, token: str, agent_id: str, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.agent_id = agent_id
        self._http = httpx.Client(
            base_url=f"{admin_url.rstrip('/')}/api/v1/agents/{agent_id}",
            headers={"Authorization": f"Bearer {token}", CONTRACT_HEADER: str(CONTRACT_VERSION)},
            timeout=httpx.Timeout(30.0),
            transport=transport,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def cursor(self, login: int) -> SyncCursor | None:
        """How far this agent's deal history of account ``login`` is posted (``None``: nothing yet)."""
        found = self._checked(self._http.get("/deals/cursor", params={"login": login})).json().get("cursor")
        return SyncCursor.model_validate(found) if found else None

    def post_deals(self, batch: DealBatch) -> dict[str, Any]:
        """Post one batch; returns the acknowledgement (``stored``, ``duplicates``, ``symbols``, ``cursor``)."""
        resp = self._http.post("/deals", content=batch.model_dump_json(), headers={"Content-Type": "application/json"})
        answer: dict[str, Any] = self._checked(resp).json()
        return answer

    def exit_rules(self) -> list[ExitRules]:
        """The exit rules of every strategy this agent trades (strategies without a rule left out)."""
        return [ExitRules.model_validate(r) for r in self._checked(self._http.get("/exit-rules")).json()]

    @staticmethod
    def _checked(resp: httpx.Response) -> httpx.Response:
        if resp.status_code == 409:
            raise ContractMismatch(resp.json().get("detail", resp.text))
        resp.raise_for_status()
        return resp
