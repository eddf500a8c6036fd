"""The CLI of issue 12, run as a user runs it (real ``python -m tray`` processes against a running tvbridge):
signing secrets and rate limits with ``strategy edit``, and ``notify test|status|events`` to a local apprise
target."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.signatures import HEADER, sign
from tests.e2e.conftest import Live
from tests.e2e.test_cli_remote import assert_sentence_only, cli
from tests.fakes.inbox import Inbox


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    box = Inbox()
    yield box
    box.close()


def test_a_generated_signing_secret_is_printed_once_and_signs_alerts(live: Live) -> None:
    strategy = live.create_strategy("signed from the cli")
    sid = str(strategy["strategy_id"])
    done = cli(live, "strategy", "edit", sid, "--generate-signing-secret", "--rate-limit-per-second", "20")
    assert done.returncode == 0, done.stderr
    assert "signing secret: set" in done.stdout and "rate limit per second: 50 alerts -> 20 alerts" in done.stdout
    key = done.stdout.strip().splitlines()[-1].strip()
    assert len(key) == 43
    shown = cli(live, "strategy", "show", sid)
    assert "set: alerts must carry a valid X-TVBridge-Signature" in shown.stdout and key not in shown.stdout
    assert key not in cli(live, "strategy", "show", sid, "--json").stdout
    body = b'{"symbol":"EURUSD","action":"buy","lots":0.01}'
    path = httpx.URL(strategy["webhook_url"]).path
    signed = live.public.post(path, content=body, headers={HEADER: sign(key, body)}).json()
    assert live.settled(strategy, signed["signal_id"])["status"] == "executed"
    entered = cli(live, "strategy", "edit", sid, "--enter-signing-secret", stdin="typed-signing-secret-0001\n")
    assert entered.returncode == 0 and "typed-signing-secret-0001" not in entered.stdout
    cleared = cli(live, "strategy", "edit", sid, "--clear", "signing-secret")
    assert cleared.returncode == 0 and "signing secret: removed" in cleared.stdout
    short = cli(live, "strategy", "edit", sid, "--enter-signing-secret", stdin="short\n")
    assert short.returncode == 1 and "--enter-signing-secret" in short.stderr and "16" in short.stderr
    assert "short" not in short.stderr  # a refused secret is never echoed back
    assert_sentence_only(short)


def test_notify_test_status_and_events(live: Live, inbox: Inbox) -> None:
    live.admin.patch("/api/v1/notifications", json={"urls": [inbox.url]}).raise_for_status()
    done = cli(live, "notify", "test")
    assert done.returncode == 0 and done.stdout.strip() == "Sent to 1: JSON.", done.stderr
    inbox.wait(lambda got: got and got[-1]["title"] == "tvbridge test notification")
    status = cli(live, "notify", "status")
    assert "1: JSON" in status.stdout and inbox.url not in status.stdout and "[x] security" in status.stdout
    chosen = cli(live, "notify", "events", "failed,security")
    assert chosen.returncode == 0 and chosen.stdout.strip() == "Sent from now on: failed, security."
    assert [e["kind"] for e in live.admin.get("/api/v1/notifications").json()["events"] if e["chosen"]] == [
        "failed", "security"
    ]
    wrong = cli(live, "notify", "events", "executed,sometimes")
    assert wrong.returncode == 1 and "events" in wrong.stderr
    assert_sentence_only(wrong)


def test_notify_test_without_targets_exits_non_zero(live: Live) -> None:
    live.admin.patch("/api/v1/notifications", json={"urls": []}).raise_for_status()
    done = cli(live, "notify", "test")
    assert done.returncode == 1 and "No notification targets are set" in done.stdout


def test_secret_set_notify_urls_checks_them_before_the_keyring(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TVBRIDGE_")}
    # no usable keyring in this process (CI has none; a desktop's real one must not be written by a test)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

    def secret(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "tray", "secret", *args], input=stdin, capture_output=True,
                              text=True, env=env, timeout=60)

    unknown = secret("set", "notify-urls", "--stdin", stdin="nonsense://x ntfy://topic\n")
    assert unknown.returncode == 2 and "URL 1 is not a notification URL apprise knows" in unknown.stderr
    assert "nonsense" not in unknown.stderr
    done = secret("set", "notify-urls", "--stdin", stdin="ntfy://topic\n")
    assert done.returncode == 1 and "no password store" in done.stderr and "ntfy" not in done.stderr
    assert_sentence_only(done)
    status = secret("status", stdin="")
    assert "notification URLs: not set" in status.stdout


def test_security_events_are_readable_as_json(live: Live) -> None:
    live.public.post("/api/v1/webhooks/tv/not-a-secret", content=b"x")
    rows = live.admin.get("/api/v1/security/events", params={"kind": "unknown_url", "limit": 1})
    assert rows.status_code == 200 and isinstance(json.loads(rows.text), list)
    refused = live.admin.get("/api/v1/security/events", params={"limit": 0})
    assert refused.status_code == 422 and "limit" in refused.json()["message"]
