"""The X-TVBridge-Signature header: what a signing sender computes, and every way a request fails the check."""

from __future__ import annotations

import hashlib
import hmac
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from server.signatures import WINDOW_SECONDS, Problem, ReplayMemory, check, sign

KEY = "a-shared-signing-secret-1234"
BODY = b'{"symbol":"EURUSD","action":"buy","lots":0.1}'
NOW = 1_800_000_000


def test_the_header_is_the_documented_hmac_of_time_nonce_and_body() -> None:
    header = sign(KEY, BODY, timestamp=NOW, nonce="n0nce-123")
    expected = hmac.new(KEY.encode(), f"{NOW}.n0nce-123.".encode() + BODY, hashlib.sha256).hexdigest()
    assert header == f"t={NOW},n=n0nce-123,v1={expected}"
    result = check(KEY, header, BODY, NOW)
    assert result.ok and result.key == expected


def test_a_fresh_nonce_each_time() -> None:
    assert sign(KEY, BODY) != sign(KEY, BODY)
    assert check(KEY, sign(KEY, BODY), BODY, time.time()).ok


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (None, Problem.MISSING),
        ("  ", Problem.MISSING),
        ("v1=abc", Problem.MALFORMED),
        (f"t={NOW},v1={'0' * 64}", Problem.MALFORMED),  # no nonce
        (f"t={NOW},n=short,v1={'0' * 64}", Problem.MALFORMED),  # nonce under 8 characters
        (f"t={NOW},n=has.adot1,v1={'0' * 64}", Problem.MALFORMED),  # a dot would make the message ambiguous
        (f"t={NOW},n=abcdefgh,v1={'0' * 63}", Problem.MALFORMED),
        (f"t=soon,n=abcdefgh,v1={'0' * 64}", Problem.MALFORMED),
        (f"t={NOW},t={NOW},n=abcdefgh,v1={'0' * 64}", Problem.MALFORMED),
        (f"t={NOW},n=abcdefgh,v1={'0' * 64},x=1", Problem.MALFORMED),
        ("t=1," + "n=" + "a" * 600, Problem.MALFORMED),
        (f"t={NOW},n=abcdefgh,v1={'0' * 64}", Problem.FORGED),
    ],
)
def test_refusals(header: str | None, problem: Problem) -> None:
    assert check(KEY, header, BODY, NOW).problem is problem


def test_another_key_a_changed_body_or_bytes_moved_into_the_nonce_are_forged() -> None:
    header = sign(KEY, BODY, timestamp=NOW, nonce="abcdefgh")
    assert check("another-key-of-some-length", header, BODY, NOW).problem is Problem.FORGED
    assert check(KEY, header, BODY.replace(b"0.1", b"9.9"), NOW).problem is Problem.FORGED
    # the signed message t.n.body splits one way only: moving body bytes into the nonce cannot keep the signature
    v1 = header.rsplit("v1=", 1)[1]
    assert check(KEY, f"t={NOW},n=abcdefgh{BODY[:2].decode()},v1={v1}", BODY[2:], NOW).problem is not None


def test_old_and_future_timestamps_are_refused_outside_the_window() -> None:
    for offset, ok in ((WINDOW_SECONDS, True), (-WINDOW_SECONDS, True), (WINDOW_SECONDS + 1, False),
                       (-WINDOW_SECONDS - 1, False)):
        result = check(KEY, sign(KEY, BODY, timestamp=NOW + offset), BODY, NOW)
        assert result.ok is ok and (ok or result.problem is Problem.EXPIRED)


def test_the_replay_memory_refuses_a_repeat_per_strategy_and_forgets_after_the_window() -> None:
    memory = ReplayMemory()
    assert memory.remember(1, "sig", NOW)
    assert not memory.remember(1, "sig", NOW + 10)
    assert memory.remember(2, "sig", NOW + 10)  # another strategy's
    memory.forget(1, "sig")  # the group was rolled back: the request was never accepted
    assert memory.remember(1, "sig", NOW + 20)
    assert memory.remember(1, "later", NOW + 3 * WINDOW_SECONDS)
    assert len(memory) == 1  # the old ones fell out of the window (twice the window: the clock may lie ahead)


def test_the_replay_memory_is_capped() -> None:
    memory = ReplayMemory(max_entries=3)
    for n in range(10):
        assert memory.remember(1, f"k{n}", NOW)
    assert len(memory) <= 3


# -- the examples in docs/alerts.md compute what the server checks --------------------------------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "alerts.md"


def _doc_block(after: str, fence: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"```{fence}", text.index(after))
    start = text.index("\n", start) + 1
    return text[start : text.index("```", start)]


def test_the_python_example_signs_as_the_server_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[urllib.request.Request] = []

    class Answer:
        def read(self) -> bytes:
            return b"{}"

    monkeypatch.setattr(urllib.request, "urlopen", lambda request: sent.append(request) or Answer())
    code = _doc_block("With Python (standard library only):", "python").replace("<signing secret>", KEY)
    exec(compile(code, "docs/alerts.md", "exec"), {"print": lambda *a: None})  # noqa: S102 - our own docs
    [request] = sent
    assert isinstance(request.data, bytes)
    assert check(KEY, request.get_header("X-tvbridge-signature"), request.data, time.time()).ok


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the curl example needs openssl")
def test_the_curl_example_signs_as_the_server_checks(tmp_path: Path) -> None:
    script = _doc_block("With curl (bash and openssl):", "bash").replace("<signing secret>", KEY)
    script = script.replace("curl -s", "printf '%s\\n' \"$BODY\" > body; echo curl", 1)
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=tmp_path, check=True)
    header = done.stdout.split("X-TVBridge-Signature: ", 1)[1].split(" ", 1)[0]
    body = (tmp_path / "body").read_text().rstrip("\n").encode()
    assert check(KEY, header, body, time.time()).ok
