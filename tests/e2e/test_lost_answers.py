"""A claim whose answer never reaches the agent (a remote agent's network dropped it, a connection reset): the
server has durably claimed the job for the agent's lease, the agent never saw it. The signal must still end in one
outcome — the agent takes over what its lease holds and it does not know — never stay ``pending`` for as long as
that agent process lives (the watchdog leaves jobs of a live lease to their agent)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import Live, start_live, stop_live
from tray.runtime import AgentProcess, agent_command, agent_environment

LOSSY = "lossy"

#: How a claim answer that hands out jobs starts (FastAPI answers compact JSON).
JOBS_ANSWER = b'{"jobs":[{'


class LossyProxy:
    """A loopback TCP proxy in front of the admin listener that drops the connection instead of forwarding the first
    claim answer carrying jobs once :attr:`armed` is set (the answer is lost on its way; the server sent it)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.armed = threading.Event()
        self.dropped = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, answers: bool) -> None:
        tail = b""
        try:
            while data := src.recv(65536):
                seen = tail + data
                if answers and self.armed.is_set() and not self.dropped.is_set() and JOBS_ANSWER in seen:
                    self.dropped.set()
                    break
                tail = seen[-len(JOBS_ANSWER):]
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self._closed = True
        self._listener.close()


@pytest.fixture
def lossy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Live, LossyProxy]]:
    """tvbridge with its own agent, plus an agent ``lossy`` that reaches the admin listener through the proxy."""
    live = start_live(tmp_path_factory.mktemp("lossy") / "data")
    rt = live.runtime
    assert rt.ctx is not None
    proxy = LossyProxy(int(rt.admin_url.rsplit(":", 1)[1].rstrip("/")))
    settings = rt.settings.model_copy(update={"agent_id": LOSSY})
    command = agent_command(settings, rt.paths, f"http://127.0.0.1:{proxy.port}")
    agent = AgentProcess(command, agent_environment(settings, rt.ctx.agent_token))
    agent.start()
    try:
        deadline = time.monotonic() + 30
        while not [s for s in live.admin.get("/api/v1/account", params={"agent_id": LOSSY}).json() if s["balance"]]:
            assert time.monotonic() < deadline, "the lossy agent never posted a snapshot"
            time.sleep(0.05)
        yield live, proxy
    finally:
        agent.stop()
        proxy.close()
        stop_live(live)


def test_a_job_whose_claim_answer_was_lost_still_ends_in_one_outcome(lossy: tuple[Live, LossyProxy]) -> None:
    live, proxy = lossy
    strategy = live.create_strategy("lost answer", agent_id=LOSSY, max_signal_age_seconds=30)
    proxy.armed.set()
    resp = live.post_alert(strategy, '{"symbol": "EURUSD", "action": "buy", "volume": 0.1}', "application/json")
    assert resp.status_code == 200 and resp.json()["status"] == "pending", resp.text
    signal = live.wait_final(resp.json()["signal_id"], timeout=60)  # its deadline is 30 s away
    assert proxy.dropped.is_set(), "the claim answer was never dropped: the test proved nothing"
    assert signal["status"] == "executed", signal
    assert [(o["symbol"], o["type"], o["volume"]) for o in signal["orders"]] == [("EURUSD", "buy", 0.1)]
