"""Symbol resolution: exchange prefixes, TradingView suffixes, aliases, broker suffixes, ambiguity, unknowns."""

from __future__ import annotations

import pytest

from agent.planner import PlanRejected, resolve_symbol
from agent.planner.symbols import parse_ticker
from tests.agent.planner import settings

PLAIN = ["EURUSD", "GBPUSD", "USDJPY", "XAUUSD", "US30.Cash", "NAS100", "BTCUSD", "ETHUSD"]
SUFFIXED = ["EURUSD.a", "GBPUSD.a", "USDJPY.a", "XAUUSD.a", "US30.a", "BTCUSD.a"]


@pytest.mark.parametrize(
    ("written", "raw", "ticker", "base", "derivative"),
    [
        ("OANDA:EURUSD", "OANDA:EURUSD", "EURUSD", "EURUSD", None),
        (" FX:gbpjpy ", "FX:gbpjpy", "gbpjpy", "GBPJPY", None),
        ("BINANCE:BTCUSDT.P", "BINANCE:BTCUSDT.P", "BTCUSDT.P", "BTCUSDT", "perpetual futures"),
        ("CME_MINI:NQ1!", "CME_MINI:NQ1!", "NQ1!", "NQ", "continuous futures"),
        ("NYMEX_DL:CL2!", "NYMEX_DL:CL2!", "CL2!", "CL", "continuous futures"),
        ("EUR/USD", "EUR/USD", "EUR/USD", "EURUSD", None),
        ("SPX_DL", "SPX_DL", "SPX_DL", "SPX", None),
    ],
)
def test_parse_ticker_strips_tradingview_decorations(
    written: str, raw: str, ticker: str, base: str, derivative: str | None
) -> None:
    t = parse_ticker(written)
    assert (t.raw, t.ticker, t.base, t.derivative) == (raw, ticker, base, derivative)


@pytest.mark.parametrize(
    ("alert", "expected"),
    [
        ("EURUSD", "EURUSD"),
        ("OANDA:EURUSD", "EURUSD"),
        ("eurusd", "EURUSD"),
        ("US30.Cash", "US30.Cash"),  # corpus: exists as-is
        ("US30", "US30.Cash"),  # suffix ".Cash" discovered
        ("FX:USDJPY", "USDJPY"),
    ],
)
def test_resolves_plain_broker_names(alert: str, expected: str) -> None:
    assert resolve_symbol(alert, settings(), PLAIN) == expected


@pytest.mark.parametrize(("alert", "expected"), [("EURUSD", "EURUSD.a"), ("OANDA:XAUUSD", "XAUUSD.a")])
def test_discovers_a_broker_suffix(alert: str, expected: str) -> None:
    assert resolve_symbol(alert, settings(), SUFFIXED) == expected


@pytest.mark.parametrize("broker", ["EURUSDm", "EURUSD-ECN", "EURUSD+", "EURUSD.pro", "EURUSD_i"])
def test_discovers_common_suffix_shapes(broker: str) -> None:
    assert resolve_symbol("EURUSD", settings(), [broker, "GBPUSD"]) == broker


def test_discovers_a_prefix() -> None:
    assert resolve_symbol("NASDAQ:AAPL", settings(), ["#AAPL", "#MSFT"]) == "#AAPL"


def test_exact_name_beats_suffix_discovery() -> None:
    assert resolve_symbol("EURUSD", settings(), ["EURUSD.a", "EURUSD"]) == "EURUSD"


def test_ambiguous_suffixes_are_refused_asking_for_a_mapping() -> None:
    with pytest.raises(PlanRejected) as exc:
        resolve_symbol("EURUSD", settings(), ["EURUSD.a", "EURUSDm", "GBPUSD.a"])
    assert exc.value.outcome == "rejected"
    assert "EURUSD.a, EURUSDm" in str(exc.value)
    assert "symbol map" in str(exc.value)


def test_configured_suffix_settles_ambiguity() -> None:
    assert resolve_symbol("EURUSD", settings(symbol_suffix="m"), ["EURUSD.a", "EURUSDm"]) == "EURUSDm"


def test_alias_wins_over_heuristics() -> None:
    # GIVEN a broker with GOLD and XAUUSD, and an alias sending GOLD to XAUUSD
    s = settings(symbol_map={"GOLD": "XAUUSD"})
    # THEN the alias wins over the exact match
    assert resolve_symbol("TVC:GOLD", s, ["GOLD", "XAUUSD"]) == "XAUUSD"


def test_alias_on_the_raw_name_and_on_the_stripped_name() -> None:
    names = ["USTEC", "US500", "BTCUSD"]
    assert resolve_symbol("NQ1!", settings(symbol_map={"NQ1!": "USTEC"}), names) == "USTEC"
    assert resolve_symbol("CME_MINI:NQ1!", settings(symbol_map={"NQ1!": "USTEC"}), names) == "USTEC"
    assert resolve_symbol("BTCUSDT.P", settings(symbol_map={"BTCUSDT": "BTCUSD"}), names) == "BTCUSD"
    assert resolve_symbol("BINANCE:BTCUSDT.P", settings(symbol_map={"btcusdt.p": "BTCUSD"}), names) == "BTCUSD"


def test_alias_target_gets_the_broker_suffix() -> None:
    assert resolve_symbol("GOLD", settings(symbol_map={"GOLD": "XAUUSD"}), SUFFIXED) == "XAUUSD.a"


def test_alias_to_a_missing_symbol_is_refused() -> None:
    with pytest.raises(PlanRejected, match="symbol map sends NQ1! to US100.*closest names it has: NAS100"):
        resolve_symbol("NQ1!", settings(symbol_map={"NQ1!": "US100"}), ["NAS100", "GER40"])


@pytest.mark.parametrize("alert", ["BTCUSDT.P", "BYBIT:BTCUSDT.P", "NQ1!", "CME_MINI:NQ1!", "ES2!"])
def test_perpetuals_and_futures_never_map_silently(alert: str) -> None:
    # GIVEN a broker that has plausible CFDs (BTCUSDT would even match BTCUSDT.P with ".P" stripped)
    names = ["BTCUSD", "BTCUSDT", "NAS100", "NQ", "US500", "ES"]
    with pytest.raises(PlanRejected) as exc:
        resolve_symbol(alert, settings(), names)
    assert "explicitly in the strategy's symbol map" in str(exc.value)


def test_a_perpetual_the_broker_lists_as_is_is_accepted() -> None:
    assert resolve_symbol("BTCUSDT.P", settings(), ["BTCUSDT.P", "BTCUSD"]) == "BTCUSDT.P"


def test_unknown_symbol_names_up_to_three_close_matches() -> None:
    with pytest.raises(PlanRejected) as exc:
        resolve_symbol("EURUSX", settings(), ["EURUSD", "EURUSD.a", "EURGBP", "USDJPY", "EURCHF"])
    message = str(exc.value)
    assert message.startswith("Symbol EURUSX is not offered by this terminal (closest names it has: EURUSD")
    assert message.count(",") <= 3


def test_unknown_symbol_with_nothing_similar() -> None:
    with pytest.raises(PlanRejected, match="no similar name"):
        resolve_symbol("ZZZZ", settings(), ["EURUSD", "GBPUSD"])


def test_spot_crypto_ticker_is_not_guessed_to_a_cfd() -> None:
    # BINANCE:BTCUSDT (spot) is not BTCUSD: suggested, not mapped.
    with pytest.raises(PlanRejected, match="closest names it has: BTCUSD"):
        resolve_symbol("BINANCE:BTCUSDT", settings(), ["BTCUSD", "ETHUSD"])


def test_empty_symbol_is_refused() -> None:
    with pytest.raises(PlanRejected, match="names no symbol"):
        resolve_symbol("  ", settings(), PLAIN)
