"""Every admin field is bounded and validated: out-of-range values, nulls for required settings, integers past
SQLite's 64 bits and wrong types are refused with 422 and a sentence per field, over real HTTP, and a refused
value changes nothing (issue 9 item 9: ``max_signal_age_seconds=1e12`` used to be stored, then every alert of the
strategy answered 500)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from tests.e2e.conftest import Live

TOO_BIG = 2**63  # one past SQLite's INTEGER: used to raise OverflowError (500)


def _strategy(live: Live) -> dict[str, Any]:
    found = [s for s in live.admin.get("/api/v1/strategies").json() if s["name"] == "validated"]
    return found[0] if found else live.create_strategy("validated", default_volume=0.01)


CASES: list[tuple[str, str, Any, str]] = [
    ("PATCH", "{sid}", {"max_signal_age_seconds": 1e12},
     "max_signal_age_seconds must be at most 86,400 seconds; you sent 1000000000000."),
    ("PATCH", "{sid}", {"dedup_window_seconds": 1e12}, "dedup_window_seconds must be at most 86,400 seconds"),
    ("PATCH", "{sid}", {"max_trades_per_day": TOO_BIG}, "max_trades_per_day must be at most 100,000 trades"),
    ("POST", "", {"name": "x", "max_open_positions": TOO_BIG}, "max_open_positions must be at most 1,000 positions"),
    ("PATCH", "{sid}", {"default_volume": 1e9}, "default_volume must be at most 100,000 lots"),
    ("PATCH", "{sid}", {"risk_override_pct": 0}, "risk_override_pct must be at least 0.01%"),
    ("PATCH", "{sid}", {"name": None}, "name cannot be null"),
    ("PATCH", "{sid}", {"allowed_pairs": None}, "allowed_pairs cannot be null"),
    ("PATCH", "{sid}", {"volume_type": None}, "volume_type cannot be null"),
    ("POST", "", {"name": "x", "is_enabled": None}, "is_enabled cannot be null"),
    ("POST", "", {}, "name is required."),
    ("PATCH", "{sid}", {"is_enabled": 0}, "is_enabled must be true or false; you sent 0."),
    ("PATCH", "{sid}", {"max_signal_age_seconds": "300"}, "max_signal_age_seconds must be a whole number"),
    ("PATCH", "{sid}", {"agent_id": "../other"}, "agent_id may hold only letters, digits"),
    ("PATCH", "{sid}", {"name": "two\nlines"}, "name must show a visible character and hold no control characters"),
    ("PATCH", "{sid}", {"name": "x" * 101}, "name must be at most 100 characters long"),
    ("PATCH", "{sid}", {"allowed_pairs": ["EURUSD"] * 1001}, "allowed_pairs must hold at most 1000 entries"),
    ("PATCH", "{sid}", {"pip_sizes": {"XAUUSD": -1}}, "pip_sizes.XAUUSD must be more than 0"),
    ("PATCH", "{sid}", {"volume_type": "bananas"}, "volume_type must be one of 'lots'"),
    ("PATCH", "{sid}", {"colour": "red"}, "colour is not a field of this request"),
    ("PATCH", "{sid}", "[1, 2", "The body is not valid JSON"),
]


@pytest.mark.parametrize(("method", "suffix", "body", "expected"), CASES, ids=[c[3][:40] for c in CASES])
def test_a_refused_strategy_value_is_answered_with_a_sentence(
    shared_live: Live, method: str, suffix: str, body: Any, expected: str
) -> None:
    strategy = _strategy(shared_live)
    url = "/api/v1/strategies" + (f"/{strategy['strategy_id']}" if suffix else "")
    kwargs: dict[str, Any] = {"content": body} if isinstance(body, str) else {"json": body}
    resp = shared_live.admin.request(method, url, headers={"Content-Type": "application/json"}, **kwargs)
    assert resp.status_code == 422, resp.text
    answer = resp.json()
    assert answer["message"].startswith("The request was not accepted")
    assert expected in answer["message"], answer["message"]
    for issue in answer["detail"]:  # FastAPI's own list is kept, each with its sentence
        assert {"type", "loc", "msg", "message"} <= set(issue)
    assert shared_live.admin.get(url if suffix else "/api/v1/strategies").status_code == 200


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"/api/v1/strategies/{TOO_BIG}", "strategy_id in the URL must be at most 9,223,372,036,854,775,807"),
        (f"/api/v1/signals/{TOO_BIG}", "signal_id in the URL must be at most"),
        (f"/api/v1/signals?offset={TOO_BIG}", "the query parameter offset must be at most"),
        (f"/api/v1/signals?strategy_id={TOO_BIG}", "the query parameter strategy_id must be at most"),
        (f"/api/v1/positions?strategy_id={TOO_BIG}", "the query parameter strategy_id must be at most"),
        ("/api/v1/signals?limit=0", "the query parameter limit must be at least 1"),
        ("/api/v1/signals?status=lost", "the query parameter status must be one of 'pending'"),
        ("/api/v1/strategies/0", "strategy_id in the URL must be at least 1"),
    ],
)
def test_ids_past_64_bits_and_bad_queries_are_refused_with_a_sentence(
    shared_live: Live, path: str, expected: str
) -> None:
    resp = shared_live.admin.get(path)
    assert resp.status_code == 422, resp.text
    assert expected in resp.json()["message"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"daily_loss_limit_pct": 101}, "daily_loss_limit_pct must be at most 100%"),
        ({"trading_paused": None}, "trading_paused cannot be null"),
        ({"trading_paused": "yes"}, "trading_paused must be true or false"),
    ],
)
def test_refused_settings_are_answered_with_a_sentence(shared_live: Live, body: Any, expected: str) -> None:
    resp = shared_live.admin.patch("/api/v1/settings", json=body)
    assert resp.status_code == 422 and expected in resp.json()["message"], resp.text
    assert shared_live.admin.get("/api/v1/settings").json()["trading_paused"] is False


def test_a_refused_max_age_leaves_the_strategy_trading(shared_live: Live) -> None:
    strategy = shared_live.create_strategy("still trades", default_volume=0.01)
    sid = strategy["strategy_id"]
    for field in ("max_signal_age_seconds", "dedup_window_seconds"):
        assert shared_live.admin.patch(f"/api/v1/strategies/{sid}", json={field: 1e12}).status_code == 422
    assert shared_live.admin.get(f"/api/v1/strategies/{sid}").json()["max_signal_age_seconds"] == 300
    signal = shared_live.trade(strategy, '{"symbol": "AUDNZD", "action": "buy"}')
    assert signal["status"] == "executed", signal["error_message"]


def test_the_limits_are_inclusive_and_a_whole_float_is_a_whole_number(shared_live: Live) -> None:
    sid = _strategy(shared_live)["strategy_id"]
    body = {"max_signal_age_seconds": 86_400.0, "dedup_window_seconds": 0, "max_trades_per_day": 100_000,
            "max_lots": 100_000, "risk_override_pct": 100, "symbol_map": {"NQ1!": "USTEC"}, "name": " spaced "}
    changed = shared_live.admin.patch(f"/api/v1/strategies/{sid}", json=body).json()
    assert changed["max_signal_age_seconds"] == 86_400 and changed["max_lots"] == 100_000.0
    assert changed["name"] == " spaced "
    cleared = shared_live.admin.patch(f"/api/v1/strategies/{sid}", json={"max_lots": None, "name": "validated"})
    assert cleared.json()["max_lots"] is None


def test_405_lists_every_method_of_the_path(shared_live: Live) -> None:
    sid = _strategy(shared_live)["strategy_id"]
    resp = shared_live.admin.request("PUT", f"/api/v1/strategies/{sid}")
    assert resp.status_code == 405 and resp.headers["allow"] == "GET, PATCH, DELETE"
    assert "use GET, PATCH, DELETE" in resp.json()["detail"]
    assert shared_live.admin.options("/api/v1/settings").headers["allow"] == "GET, PATCH"


def test_a_body_that_is_not_text_is_answered_with_a_sentence(shared_live: Live) -> None:
    headers = {"Content-Type": "application/json"}
    resp = shared_live.admin.post("/api/v1/strategies", content=b"\xff\xfe{", headers=headers)
    assert resp.status_code == 400 and "UTF-8 encoded JSON" in resp.json()["detail"]


def test_the_cli_shows_the_sentence(shared_live: Live) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TVBRIDGE_")}
    done = subprocess.run(
        [sys.executable, "-m", "tray", "strategy", "create", "Huge", "--default-volume", "1e12",
         "--data-dir", str(shared_live.data_dir)],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert done.returncode == 1
    assert "The default volume (--default-volume) must be at most 100,000 lots" in done.stderr
