"""End-to-end tests of the tunnel supervisor against the fake ngrok agent (tests/fakes/fake_ngrok.py).

Real processes (pyngrok launches the fake exactly as it launches ngrok), real pipes, real HTTP. No network:
every address is 127.0.0.1, and pyngrok's installer is booby-trapped so a download attempt fails the test.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml
from fastapi import FastAPI, Request
from pyngrok import installer

from tests.fakes.ngrok import pid_alive, write_ngrok_wrapper
from tray import tunnel_agent
from tray.tunnel import TunnelState, TunnelStatus, TunnelSupervisor

TOKEN = "2fAkEtOkEn_Sup3rSecret_e2e_0123456789"
FAST = {"check_interval": 0.2, "connect_deadline": 5.0, "reconnect_grace": 1.0,
        "backoff_initial": 0.2, "backoff_max": 1.0}


# ------------------------------------------------------------------------------------------ helpers
def poll(predicate: Callable[[], Any], timeout: float, interval: float = 0.05) -> Any:
    """Return the first truthy ``predicate()`` within ``timeout`` seconds, else fail."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


@dataclass
class FakeNgrok:
    """The fake agent as the tests see it: its path, its state file and its control API."""

    path: Path
    state_file: Path

    def events(self, kind: str) -> list[dict[str, Any]]:
        if not self.state_file.exists():
            return []
        lines = self.state_file.read_text().splitlines()
        return [e for e in map(json.loads, lines) if e["event"] == kind]

    def starts(self) -> list[dict[str, Any]]:
        return [e for e in self.events("invoke") if e["argv"][1:2] == ["start"]]

    def api(self, pid: int | None = None) -> str:
        """The agent API URL of ``pid`` (default: the latest agent)."""
        apis = [e for e in self.events("api") if pid is None or e["pid"] == pid]
        assert apis, "the fake agent never opened its API"
        return str(apis[-1]["url"])

    def control(self, action: str) -> None:
        """POST ``/_fake/<action>`` to the latest agent."""
        try:
            httpx.post(f"{self.api()}/_fake/{action}", timeout=5)
        except httpx.TransportError:
            if action != "exit":  # the process dies while answering
                raise

    def endpoints(self) -> list[dict[str, Any]]:
        return list(httpx.get(f"{self.api()}/api/endpoints", timeout=5).json()["endpoints"])


@dataclass
class Recorder:
    """An ``on_change`` callback that keeps every status it is given."""

    statuses: list[TunnelStatus] = field(default_factory=list)

    def __call__(self, status: TunnelStatus) -> None:
        self.statuses.append(status)

    def states(self) -> list[TunnelState]:
        """The state transitions (a reason-only change, e.g. a new agent error, is not a transition)."""
        states = [s.state for s in self.statuses]
        return [st for i, st in enumerate(states) if i == 0 or states[i - 1] != st]


@pytest.fixture(autouse=True)
def no_download(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Fail loudly if anything asks pyngrok to install or download ngrok."""
    calls: list[Any] = []

    def trap(*args: Any, **kwargs: Any) -> None:
        calls.append(args)
        raise AssertionError("pyngrok tried to download ngrok")

    monkeypatch.setattr(installer, "install_ngrok", trap)
    monkeypatch.setattr(installer, "_download_file", trap)
    return calls


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeNgrok]:
    """An executable ``ngrok`` in tmp_path that runs the fake with this interpreter."""
    wrapper = write_ngrok_wrapper(tmp_path / "bin")
    state_file = tmp_path / "fake-ngrok-state.jsonl"
    for var in ("FAKE_NGROK_MODE", "FAKE_NGROK_BUSY_URLS", "NGROK_AUTHTOKEN", "PYNGROK_NGROK_PATH"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("FAKE_NGROK_STATE_FILE", str(state_file))
    handle = FakeNgrok(wrapper, state_file)
    yield handle
    # whatever happened, no agent of ours may outlive the test
    leftovers = [e["pid"] for e in handle.events("invoke") if pid_alive(e["pid"])]
    for pid in leftovers:
        os.kill(pid, signal.SIGKILL)
    assert not leftovers, f"fake agents left running: {leftovers}"


@pytest.fixture
def make_supervisor(fake: FakeNgrok, tmp_path: Path) -> Iterator[Callable[..., TunnelSupervisor]]:
    """Build supervisors with fast timings; every one is stopped at teardown."""
    built: list[TunnelSupervisor] = []

    def make(**overrides: Any) -> TunnelSupervisor:
        kwargs: dict[str, Any] = {"upstream_url": "http://127.0.0.1:9", "ngrok_path": str(fake.path),
                                  "authtoken": TOKEN, "config_dir": tmp_path / "config", **FAST}
        kwargs.update(overrides)
        sup = TunnelSupervisor(**kwargs)
        built.append(sup)
        return sup

    yield make
    for sup in built:
        sup.stop(timeout=5)


@pytest.fixture
def upstream() -> Iterator[tuple[str, list[tuple[str, bytes, dict[str, str]]]]]:
    """A real FastAPI app served by uvicorn on 127.0.0.1:<free port>; yields (base URL, received)."""
    app = FastAPI()
    received: list[tuple[str, bytes, dict[str, str]]] = []

    @app.post("/api/v1/webhooks/tv/{secret}")
    async def webhook(secret: str, request: Request) -> dict[str, Any]:
        body = await request.body()
        received.append((secret, body, dict(request.headers)))
        return {"ok": True, "bytes": len(body)}

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    poll(lambda: server.started, timeout=10)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", received
    server.should_exit = True
    thread.join(5)


# -------------------------------------------------------------------------------------------- tests
def test_publishes_the_requested_domain_and_stops_cleanly(
        fake: FakeNgrok, make_supervisor: Callable[..., TunnelSupervisor], tmp_path: Path) -> None:
    seen = Recorder()
    read_back: list[TunnelStatus] = []

    def flaky_listener(status: TunnelStatus) -> None:
        seen(status)
        read_back.append(sup.status)  # called outside the supervisor's lock: no deadlock
        if len(seen.statuses) == 1:
            raise RuntimeError("a broken tray callback must not break the tunnel")

    sup = make_supervisor(domain="my-app.ngrok-free.app", on_change=flaky_listener)
    assert sup.status.state is TunnelState.STOPPED
    sup.start()
    sup.start()  # idempotent
    assert sup.wait_for(TunnelState.ONLINE, 10), sup.status
    status = sup.status
    assert status.public_url == "https://my-app.ngrok-free.app"
    assert status.since.tzinfo is not None and status.since.utcoffset() is not None
    assert status.public_url in status.reason

    (endpoint,) = fake.endpoints()
    assert endpoint["url"] == "https://my-app.ngrok-free.app"
    assert endpoint["upstream"]["url"] == "http://127.0.0.1:9"
    assert endpoint["name"] == "tvbridge-webhooks"

    # how the agent was launched: pyngrok's exact command line, our own config file, no token in it
    (start,) = fake.starts()
    argv = start["argv"][1:]
    assert argv[:4] == ["start", "--none", "--log", "stdout"]
    config_path = Path(argv[argv.index("--config") + 1])
    assert config_path == tmp_path / "config" / "ngrok.yml"
    config = yaml.safe_load(config_path.read_text())
    assert config["version"] == "3"
    assert re.fullmatch(r"127\.0\.0\.1:\d+", config["agent"]["web_addr"])
    assert TOKEN not in config_path.read_text()
    assert argv[argv.index("--authtoken") + 1] == TOKEN
    assert fake.api().startswith("http://127.0.0.1:")
    # the agent's PID is on disk (no token in it) so a crashed tvbridge can clean up on its next start
    pid_file = tmp_path / "config" / "ngrok.pid"
    assert json.loads(pid_file.read_text())["pid"] == start["pid"]
    assert TOKEN not in pid_file.read_text()

    started = time.monotonic()
    sup.stop()
    sup.stop()  # idempotent
    assert time.monotonic() - started < 3
    assert sup.status.state is TunnelState.STOPPED and sup.status.public_url is None
    assert not pid_alive(start["pid"])
    assert seen.states() == [TunnelState.STARTING, TunnelState.ONLINE, TunnelState.STOPPED]
    assert read_back == seen.statuses
    assert not pid_file.exists()
    with pytest.raises(RuntimeError):
        sup.start()


def test_webhook_through_the_tunnel_reaches_the_upstream_intact(
        fake: FakeNgrok, make_supervisor: Callable[..., TunnelSupervisor],
        upstream: tuple[str, list[tuple[str, bytes, dict[str, str]]]]) -> None:
    base, received = upstream
    port = base.rsplit(":", 1)[1]
    sup = make_supervisor(upstream_url=f"http://localhost:{port}")  # rewritten to 127.0.0.1
    sup.start()
    assert sup.wait_for(TunnelState.ONLINE, 10), sup.status
    assert re.fullmatch(r"https://[0-9a-f]{12}\.ngrok-free\.app", sup.status.public_url or "")

    (endpoint,) = fake.endpoints()
    assert endpoint["url"] == sup.status.public_url
    assert endpoint["upstream"]["url"] == f"http://127.0.0.1:{port}"
    body = b'{"ticker":"EURUSD","action":"buy","qty":"0.10","note":"\xc3\xa9 caf\xc3\xa9 {{strategy}}"}'
    resp = httpx.post(f"{endpoint['x_fake_forward_url']}/api/v1/webhooks/tv/s3cr3t?x=1", content=body,
                      headers={"Content-Type": "text/plain; charset=utf-8"}, timeout=10)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"ok": True, "bytes": len(body)}
    ((secret, got, headers),) = received
    assert secret == "s3cr3t"
    assert got == body
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert headers["x-forwarded-proto"] == "https"


def test_refused_authtoken_is_reported_plainly_without_a_restart_storm(
        fake: FakeNgrok, make_supervisor: Callable[..., TunnelSupervisor],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_NGROK_MODE", "auth_error")
    sup = make_supervisor(backoff_initial=0.1, backoff_max=1.5)
    sup.start()
    assert sup.wait_for(TunnelState.ERROR, 10), sup.status
    reason = sup.status.reason
    assert "ngrok refused the authtoken (ERR_NGROK_4018)" in reason
    assert "dashboard.ngrok.com" in reason and "tvbridge secret set ngrok-authtoken" in reason
    assert "Next try in 1.5 s" in reason
    # the second try waits the full back-off_max, not backoff_initial
    first, second = poll(lambda: fake.starts()[:2] if len(fake.starts()) >= 2 else None, timeout=6)
    assert second["t"] - first["t"] >= 1.0  # backoff_initial would have been ~0.1 s
    assert not pid_alive(first["pid"])


def test_short_network_loss_recovers_with_the_same_url_and_agent(
        fake: FakeNgrok, make_supervisor: Callable[..., TunnelSupervisor]) -> None:
    seen = Recorder()
    sup = make_supervisor(domain="https://steady.ngrok-free.app", reconnect_grace=30.0, on_change=seen)
    sup.start()
    assert sup.wait_for(TunnelState.ONLINE, 10), sup.status
    (endpoint,) = fake.endpoints()

    fake.control("offline")
    assert sup.wait_for(TunnelState.RECONNECTING, 5), sup.status
    status = sup.status
    assert status.public_url == "https://steady.ngrok-free.app"
    assert "reconnecting by itself" in status.reason
    lost = httpx.post(f"{endpoint['x_fake_forward_url']}/api/v1/webhooks/tv/x", content=b"{}", timeout=5)
    assert lost.status_code == 502  # what TradingView would see meanwhile

    fake.control("online")
    assert sup.wait_for(TunnelState.ONLINE, 5), sup.status
    assert sup.status.public_url == "https://steady.ngrok-free.app"
    assert len(fake.starts()) == 1  # the agent reconnected by itself: not restarted
    assert seen.states() == [TunnelState.STARTING, TunnelState.ONLINE, TunnelState.RECONNECTING,
                             TunnelState.ONLINE]


def test_network_lost_longer_than_the_grace_restarts_the_agent(
        fake: FakeNgrok, make_supervisor: Callable[..., TunnelSupervisor]) -> None:
    seen = Recorder()
    sup = make_supervisor(domain="steady.ngrok-free.app", reconnect_grace=1.0, on_change=seen)
    sup.start()
    assert sup.wait_for(TunnelState.ONLINE, 10), sup.status
    fake.control("offline")
    assert sup.wait_for(TunnelState.ERROR, 10), sup.status
    assert "could not reconnect within 1 s" in sup.status.reason
    assert "i/o timeout" in sup.status.reason  # the agent's own words, from the log callback
    assert sup.wait_for(TunnelState.ONLINE, 10), sup.status
    assert sup.status.public_url == "https://steady.ngrok-free.app"
    first, second = fake.starts()
    assert not pid_alive(first["pid"]) and pid_alive(second["pid"])
    assert seen.states()[:6] == [TunnelState.STARTING, TunnelState.ONLINE, TunnelState.RECONNECTING,
                                 TunnelState.ERROR, TunnelState.STARTING, TunnelState.ONLINE]


def test_agent_crash_is_detected_and_the_agent_restarted(
        fake: FakeNgrok, make_supervisor: Callable[..., TunnelSupervisor]) -> None:
    sup = make_supervisor(domain="steady.ngrok-free.app")
    sup.start()
    assert sup.wait_for(TunnelState.ONLINE, 10), sup.status
    fake.control("exit")
    assert sup.wait_for(TunnelState.ERROR, 5), sup.status
    assert "stopped unexpectedly (exit status 3)" in sup.status.reason
    assert sup.wait_for(TunnelState.ONLINE, 10), sup.status
    assert sup.status.public_url == "https://steady.ngrok-free.app"
    assert len(fake.starts()) == 2
    assert len(fake.endpoints()) == 1


def test_dropped_endpoint_is_reopened(fake: FakeNgrok, make_supervisor: Callable[..., TunnelSupervisor]) -> None:
    sup = make_supervisor(domain="steady.ngrok-free.app")
    sup.start()
    assert sup.wait_for(TunnelState.ONLINE, 10), sup.status
    fake.control("drop")
    assert sup.wait_for(TunnelState.ERROR, 5), sup.status
    assert "dropped the public webhook address" in sup.status.reason
    assert sup.wait_for(TunnelState.ONLINE, 10), sup.status
    assert [e["url"] for e in fake.endpoints()] == ["https://steady.ngrok-free.app"]


def test_agent_hanging_at_start_up_hits_our_own_deadline(
        fake: FakeNgrok, make_supervisor: Callable[..., TunnelSupervisor],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_NGROK_MODE", "hang")
    sup = make_supervisor(connect_deadline=1.0, backoff_initial=0.5)
    sup.start()
    assert sup.wait_for(TunnelState.ERROR, 5), sup.status
    assert "did not finish starting within 1 s" in sup.status.reason
    assert "Next try in 0.5 s" in sup.status.reason
    first = fake.starts()[0]
    poll(lambda: not pid_alive(first["pid"]), timeout=3)  # the hung agent was killed
    assert sup.wait_for(TunnelState.STARTING, 5)  # and it keeps trying, with back-off
    started = time.monotonic()
    sup.stop(timeout=5)
    assert time.monotonic() - started < 2.5
    assert sup.status.state is TunnelState.STOPPED


def test_no_network_at_start_up_says_so(
        fake: FakeNgrok, make_supervisor: Callable[..., TunnelSupervisor],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_NGROK_MODE", "no_network")
    sup = make_supervisor(connect_deadline=2.5)
    sup.start()
    assert sup.wait_for(TunnelState.ERROR, 8), sup.status
    assert "i/o timeout" in sup.status.reason
    assert sup.status.public_url is None


def test_address_already_online_elsewhere_is_explained(
        fake: FakeNgrok, make_supervisor: Callable[..., TunnelSupervisor],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_NGROK_BUSY_URLS", "https://busy.ngrok-free.app")
    sup = make_supervisor(domain="busy.ngrok-free.app")
    sup.start()
    assert sup.wait_for(TunnelState.ERROR, 10), sup.status
    assert "already online in another session (ERR_NGROK_334)" in sup.status.reason
    poll(lambda: len(fake.starts()) >= 2, timeout=5)  # retried with back-off...
    first = fake.starts()[0]
    assert not pid_alive(first["pid"])  # ...and the failed agent did not linger


def test_no_authtoken_means_disabled(fake: FakeNgrok, make_supervisor: Callable[..., TunnelSupervisor]) -> None:
    seen = Recorder()
    sup = make_supervisor(authtoken=None, on_change=seen)
    sup.start()
    assert sup.status.state is TunnelState.DISABLED
    assert "tvbridge secret set ngrok-authtoken" in sup.status.reason
    assert "NGROK_AUTHTOKEN" in sup.status.reason
    assert fake.starts() == []
    sup.stop()
    assert seen.states() == [TunnelState.DISABLED, TunnelState.STOPPED]


@pytest.mark.parametrize("where", ["missing", "unset"])
def test_missing_binary_is_an_error_and_never_downloaded(
        make_supervisor: Callable[..., TunnelSupervisor], tmp_path: Path, no_download: list[Any],
        where: str) -> None:
    path = str(tmp_path / "nowhere" / "ngrok") if where == "missing" else None
    sup = make_supervisor(ngrok_path=path)
    sup.start()
    assert sup.wait_for(TunnelState.ERROR, 5), sup.status
    assert ("not found at" if path else "not configured") in sup.status.reason
    assert "tvbridge config set ngrok_path" in sup.status.reason
    assert sup.wait_for(TunnelState.ERROR, 0)
    assert no_download == []
    assert not (tmp_path / "nowhere").exists()


def test_authtoken_never_reaches_the_logs(
        fake: FakeNgrok, make_supervisor: Callable[..., TunnelSupervisor],
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sup = make_supervisor(domain="steady.ngrok-free.app")
    sup.start()
    assert sup.wait_for(TunnelState.ONLINE, 10), sup.status
    fake.control("exit")
    assert sup.wait_for(TunnelState.ERROR, 5)
    assert sup.wait_for(TunnelState.ONLINE, 10), sup.status
    sup.stop()
    # an agent that rejects a malformed token prints it back (ERR_NGROK_105); pyngrok logs agent lines
    monkeypatch.setenv("FAKE_NGROK_MODE", "bad_token")
    reasons: list[str] = []
    bad = make_supervisor(on_change=lambda s: reasons.append(s.reason))
    bad.start()
    assert bad.wait_for(TunnelState.ERROR, 10), bad.status
    assert "ngrok refused the authtoken (ERR_NGROK_105)" in bad.status.reason
    bad.stop()

    assert any("ERR_NGROK_105" in r.getMessage() for r in caplog.records)  # the lines were logged...
    assert any("********" in r.getMessage() for r in caplog.records)  # ...redacted
    for record in caplog.records:
        assert TOKEN not in record.getMessage(), record.name
    assert TOKEN not in caplog.text
    assert not any(TOKEN in r for r in reasons)
    # the token reaches the agent only on its command line (pyngrok's --authtoken), never its environment
    assert all(TOKEN in e["argv"] and not e["env_authtoken"] for e in fake.starts())


def test_a_refused_token_is_named_even_when_the_agent_exits_before_pyngrok_reads_why(
        fake: FakeNgrok, make_supervisor: Callable[..., TunnelSupervisor],
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # pyngrok stops reading the agent's output as soon as it sees the process dead; a slow reader (a busy
    # PC) then never sees the error line. The fake makes that certain: its output arrives after its exit.
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("FAKE_NGROK_MODE", "bad_token_exit_first")
    sup = make_supervisor()
    sup.start()
    assert sup.wait_for(TunnelState.ERROR, 10), sup.status
    reason = sup.status.reason
    sup.stop()
    assert "ngrok refused the authtoken (ERR_NGROK_105)" in reason
    assert any("ERR_NGROK_105" in r.getMessage() and "********" in r.getMessage() for r in caplog.records)
    assert TOKEN not in caplog.text


def test_orphaned_agent_from_a_previous_run_is_killed_but_strangers_are_not(
        fake: FakeNgrok, make_supervisor: Callable[..., TunnelSupervisor], tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    config_path = config_dir / "ngrok.yml"
    config_path.write_text('version: "3"\nagent:\n  web_addr: 127.0.0.1:0\n')
    orphan = subprocess.Popen([str(fake.path), "start", "--none", "--log", "stdout", "--config",
                               str(config_path), "--authtoken", TOKEN], stdout=subprocess.DEVNULL)
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        poll(lambda: fake.events("api"), timeout=10)
        pid_file = config_dir / "ngrok.pid"
        pid_file.write_text(json.dumps({"pid": stranger.pid, "ngrok_path": str(fake.path),
                                        "config_path": str(config_path)}))
        sup = make_supervisor()
        sup.start()
        assert sup.wait_for(TunnelState.ONLINE, 10), sup.status
        assert stranger.poll() is None  # not our agent: left alone
        sup.stop()

        pid_file.write_text(json.dumps({"pid": orphan.pid, "ngrok_path": str(fake.path),
                                        "config_path": str(config_path)}))
        again = make_supervisor()
        again.start()
        assert again.wait_for(TunnelState.ONLINE, 10), again.status
        assert orphan.wait(timeout=5) == -signal.SIGKILL
    finally:
        for proc in (orphan, stranger):
            proc.kill()
            proc.wait()


def test_a_failing_log_callback_does_not_stop_the_agent_pipe_from_draining(
        fake: FakeNgrok, make_supervisor: Callable[..., TunnelSupervisor],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """pyngrok gotcha 1: an exception in log_event_callback kills its monitor thread; nobody drains the
    agent's stdout, and the agent (which logs one line per API request) stalls once the pipe is full."""
    failures: list[str] = []

    def broken_error_code(text: str | None) -> str | None:
        failures.append(text or "")
        raise ValueError("bug inside our log handling")

    sup = make_supervisor(reconnect_grace=30.0)
    sup.start()
    assert sup.wait_for(TunnelState.ONLINE, 10), sup.status
    monkeypatch.setattr(tunnel_agent, "error_code", broken_error_code)
    fake.control("offline")  # ERROR lines now reach the (failing) callback
    poll(lambda: failures, timeout=5)
    fake.control("online")
    assert sup.wait_for(TunnelState.ONLINE, 5), sup.status
    # ~100 bytes of agent log per request: 1500 requests is more than twice a 64 KiB pipe
    with httpx.Client(base_url=fake.api(), timeout=3) as client:
        for _ in range(1500):
            assert client.get("/api/status").status_code == 200
    assert sup.status.state is TunnelState.ONLINE
    assert len(fake.starts()) == 1
