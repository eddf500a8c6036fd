"""The agent's HTTP client for the admin listener's agent API (httpx, agent token)."""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx

logger = logging.getLogger(__name__)


class ServerClient:
    """Talks to ``/api/v1/agents/{agent_id}/...``. Network errors raise ``httpx.HTTPError``."""

    def __init__(
        self, admin_url: str, token: str, agent_id: str, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.agent_id = agent_id
        self._http = httpx.Client(
            base_url=f"{admin_url.rstrip('/')}/api/v1/agents/{agent_id}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(10.0, read=75.0),
            transport=transport,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def next_job(self, wait: float) -> dict[str, Any] | None:
        """Long-poll for a job for up to ``wait`` seconds; ``None`` when none came."""
        resp = self._http.get("/jobs/next", params={"wait": wait})
        resp.raise_for_status()
        return None if resp.status_code == 204 else resp.json()

    def unfinished_jobs(self) -> list[dict[str, Any]]:
        """Jobs this agent claimed before and never finished."""
        resp = self._http.get("/jobs/unfinished")
        resp.raise_for_status()
        return list(resp.json())

    def post_result(self, job_id: int, result: dict[str, Any], *, give_up_after: float = 600.0) -> None:
        """Report a job's outcome, retrying connection failures for up to ``give_up_after`` seconds: a trade
        that happened must reach the signal log (the server ignores a repeated post)."""
        body = _jsonable(result)
        started = time.monotonic()
        delay = 0.2
        while True:
            try:
                resp = self._http.post(f"/jobs/{job_id}/result", json=body)
                resp.raise_for_status()
                return
            except httpx.TransportError as exc:
                if time.monotonic() - started > give_up_after:
                    raise
                logger.warning("could not report job %s (%s); retrying in %.1fs", job_id, exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, 10.0)

    def post_snapshot(self, snapshot: dict[str, Any]) -> None:
        """Replace the agent's latest account snapshot on the server."""
        self._http.post("/snapshot", json=_jsonable(snapshot)).raise_for_status()


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        out[key] = value.isoformat() if hasattr(value, "isoformat") else value
    return out
