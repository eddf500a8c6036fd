"""`tvbridge strategy edit` and `show` for the strategy controls, against a running tvbridge (real processes)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import Live, start_live, stop_live
from tests.e2e.test_cli_remote import cli


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    running = start_live(tmp_path_factory.mktemp("controls-cli") / "data", spawn_agent=False)
    yield running
    stop_live(running)


def test_edit_sets_and_clears_every_control(live: Live) -> None:
    sid = str(live.create_strategy("Controls")["strategy_id"])
    edited = cli(live, "strategy", "edit", sid, "--timeframe", "60,4H", "--timeframe", "D", "--risk-multiplier",
                 "0.5", "--dedup-by", "meaning", "--max-lots-mode", "cap", "--max-exposure-pct", "25",
                 "--exposure-basis", "notional")
    assert edited.returncode == 0, edited
    assert "timeframes: all -> 1h, 4h, 1D" in edited.stdout, edited.stdout
    assert "duplicates by: body -> meaning" in edited.stdout
    now = live.admin.get(f"/api/v1/strategies/{sid}").json()
    assert {k: now[k] for k in ("timeframes", "risk_multiplier", "dedup_by", "max_lots_mode", "max_exposure_pct",
                                "exposure_basis")} == {
        "timeframes": ["1h", "4h", "1D"], "risk_multiplier": 0.5, "dedup_by": "meaning", "max_lots_mode": "cap",
        "max_exposure_pct": 25.0, "exposure_basis": "notional",
    }
    shown = cli(live, "strategy", "show", sid)
    assert "Strategy controls" in shown.stdout and "25% of equity" in shown.stdout

    cleared = cli(live, "strategy", "edit", sid, "--clear", "timeframes", "--clear", "max-exposure-pct")
    assert cleared.returncode == 0, cleared
    now = live.admin.get(f"/api/v1/strategies/{sid}").json()
    assert now["timeframes"] == [] and now["max_exposure_pct"] is None

    refused = cli(live, "strategy", "edit", sid, "--timeframe", "fortnightly")
    assert refused.returncode != 0 and "fortnightly" in refused.stderr + refused.stdout
