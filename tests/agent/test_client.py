"""The agent's client refuses a job written in another contract version before reading any of it."""

from __future__ import annotations

import httpx
import pytest

from agent.client import ContractMismatch, ServerClient
from contract import CONTRACT_HEADER, CONTRACT_VERSION


def client_answering(job: dict[str, object]) -> tuple[ServerClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=job)

    return ServerClient("http://server", "token", "a1", transport=httpx.MockTransport(handler)), seen


@pytest.mark.parametrize("version", [CONTRACT_VERSION + 1, "1", None])
def test_a_job_of_another_contract_version_is_never_read(version: object) -> None:
    # a newer server's job whose fields may mean something else: even a plausible body must not be parsed
    job = {"contract_version": version, "id": 1, "signal_id": 1, "intent": {"format": "json"}, "settings": {}}
    client, seen = client_answering({k: v for k, v in job.items() if v is not None})
    with pytest.raises(ContractMismatch, match="Install the same tvbridge version"):
        client.next_job(wait=0)
    assert seen[0].headers[CONTRACT_HEADER] == str(CONTRACT_VERSION)
