"""Saved state survives a process restart; the saved account wins over configure() arguments."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import agent.mt5sim as mt5
from agent.mt5sim import control

REPO = Path(__file__).resolve().parents[3]

OPEN_IN_CHILD = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import agent.mt5sim as mt5
    from agent.mt5sim import control

    control.configure(Path(sys.argv[1]), margin_mode="hedging", balance=7_500.0, symbol_suffix=".a")
    control.set_terminal(first_tick_ms=0)
    assert mt5.initialize()
    control.set_quote("EURUSD.a", 1.20000, 1.20010)
    buy = mt5.order_send({"action": 1, "symbol": "EURUSD.a", "volume": 0.2, "type": 0, "sl": 1.19000,
                          "magic": 77, "comment": "tv:persist"})
    limit = mt5.order_send({"action": 5, "symbol": "EURUSD.a", "volume": 0.1, "type": 2, "price": 1.19500,
                            "type_filling": 2})
    assert mt5.symbol_select("US500.a", True)
    index = mt5.order_send({"action": 1, "symbol": "US500.a", "volume": 0.1, "type": 1, "type_filling": 1})
    print(json.dumps({"position": buy.order, "order": limit.order, "deal": buy.deal, "index": index.order}))
    """
)


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    control.reset()
    yield
    control.reset()


def run_child(state_dir: Path) -> dict[str, int]:
    completed = subprocess.run(
        [sys.executable, "-c", OPEN_IN_CHILD, str(state_dir)],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=True,
    )
    tickets: dict[str, int] = json.loads(completed.stdout)
    return tickets


def test_positions_orders_and_quotes_survive_a_new_process(tmp_path: Path) -> None:
    tickets = run_child(tmp_path)
    # The saved book wins: netting/10 000/no suffix are ignored for an existing account.
    control.configure(tmp_path, margin_mode="netting", balance=10_000.0)
    assert mt5.initialize()
    account = mt5.account_info()
    assert account.margin_mode == mt5.ACCOUNT_MARGIN_MODE_RETAIL_HEDGING and account.balance == 7_500.0
    (position,) = mt5.positions_get(symbol="EURUSD.a")
    assert (position.ticket, position.magic, position.comment, position.sl) == (
        tickets["position"], 77, "tv:persist", 1.19000,
    )
    assert [o.ticket for o in mt5.orders_get()] == [tickets["order"]]
    assert mt5.symbol_info_tick("EURUSD.a").bid == 1.20000
    assert mt5.history_deals_get(ticket=tickets["position"])[0].ticket == tickets["deal"]
    # A symbol with a position is back in Market Watch, so it can be priced and closed.
    assert mt5.positions_get(ticket=tickets["index"])[0].symbol == "US500.a"
    assert mt5.symbol_info_tick("US500.a") is not None
    # Ticket counters continue instead of starting over.
    again = mt5.order_send({"action": 1, "symbol": "EURUSD.a", "volume": 0.1, "type": 0})
    assert again.order > tickets["order"] and again.deal > tickets["deal"]


def test_every_change_is_written_atomically(tmp_path: Path) -> None:
    control.configure(tmp_path, login=123)
    path = control.state_path()
    assert path == tmp_path / "mt5sim-123.json" and path.exists()
    mt5.initialize()
    mt5.order_send({"action": 1, "symbol": "EURUSD", "volume": 0.1, "type": 0})
    saved = json.loads(path.read_text())
    assert len(saved["positions"]) == 1
    control.set_quote("EURUSD", 1.11111)
    assert json.loads(path.read_text())["quotes"]["EURUSD"][0] == 1.11111
    # no temp files left behind; history goes to its append-only journal
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mt5sim-123.history.jsonl", "mt5sim-123.json"]


def test_history_is_appended_not_rewritten_and_survives_a_crash_between_writes(tmp_path: Path) -> None:
    control.configure(tmp_path, login=77)
    mt5.initialize()
    for _ in range(3):
        mt5.order_send({"action": 1, "symbol": "EURUSD", "volume": 0.1, "type": 0, "type_filling": 0})
    journal = tmp_path / "mt5sim-77.history.jsonl"
    lines = journal.read_text().splitlines()
    assert len(lines) == 7  # the opening balance deal, then 3 filled orders + 3 deals
    # a crash after appending history but before the snapshot was replaced leaves an extra line:
    journal.write_text(journal.read_text() + lines[-1] + "\n")
    control.reset()
    control.configure(tmp_path, login=77)
    mt5.initialize()
    assert len(mt5.history_deals_get(position=mt5.positions_get()[0].identifier)) == 3
    mt5.order_send({"action": 1, "symbol": "EURUSD", "volume": 0.1, "type": 0, "type_filling": 0})
    assert len(journal.read_text().splitlines()) == 9  # rewritten without the stray line, then appended


def test_each_login_has_its_own_book_and_memory_mode_saves_nothing(tmp_path: Path) -> None:
    control.configure(tmp_path, login=1)
    mt5.initialize()
    mt5.order_send({"action": 1, "symbol": "EURUSD", "volume": 0.1, "type": 0})
    control.configure(tmp_path, login=2)
    mt5.initialize()
    assert mt5.positions_total() == 0
    control.configure()
    assert control.state_path() is None


def test_reset_forgets_everything_but_keeps_files(tmp_path: Path) -> None:
    control.configure(tmp_path)
    mt5.initialize()
    control.reset()
    assert mt5.account_info() is None
    assert mt5.last_error() == (-10004, "No IPC connection")
    assert any(tmp_path.iterdir())


def test_unconfigured_simulator_initializes_with_defaults() -> None:
    assert mt5.initialize() is True
    account = mt5.account_info()
    assert (account.login, account.balance, account.currency, account.margin_mode) == (5_000_001, 10_000.0, "USD", 0)
    assert control.state_path() is None


def test_configure_validates_its_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        control.configure(margin_mode="fifo")
    with pytest.raises(KeyError):
        control.configure(currency="XYZ")



def test_a_damaged_state_file_is_set_aside_and_the_account_starts_fresh(tmp_path: Path) -> None:
    (tmp_path / "mt5sim-9.json").write_text('{"version": 99}')
    control.configure(tmp_path, login=9, balance=2_000.0)  # no exception: a crash loop is worse than a reset
    assert mt5.initialize()
    assert mt5.account_info().balance == 2_000.0
    [aside] = tmp_path.glob("mt5sim-9.json.damaged-*")
    assert aside.read_text() == '{"version": 99}'  # what it held is kept for the trader
    assert (tmp_path / "mt5sim-9.json").exists()  # and a fresh, readable book replaced it


def test_deposit_is_a_balance_deal() -> None:
    control.configure(balance=1_000.0)
    mt5.initialize()
    control.deposit(500.0)
    deals = mt5.history_deals_get(0, 2**32 - 1)
    assert [(d.type, d.profit) for d in deals] == [(mt5.DEAL_TYPE_BALANCE, 1_000.0), (mt5.DEAL_TYPE_BALANCE, 500.0)]
    assert mt5.account_info().balance == 1_500.0
