"""The simulated broker's symbol list: realistic specs for FX, metals, index CFDs and crypto.

Each :class:`SimSymbol` holds what the trade server knows about an instrument. ``SymbolInfo`` (96 fields) is
built from it by :mod:`agent.mt5sim.views`; fields a retail bridge never reads (sessions, options, greeks) are
zero there, as they are on a real FX broker. Values follow typical retail MT5 brokers (mt5-api §4.2 table):
5-digit FX, 3-digit JPY pairs, 2-digit gold, index CFDs whose tick size is larger than the point, and a mix of
filling policies so that ``type_filling`` has to be chosen per symbol (mt5-api §2.4: FOK-only, IOC-only, both).

``trade_tick_value`` is not stored: it depends on the account currency and, for JPY/CHF/CAD/EUR/GBP profit
currencies, on the current conversion quote (see :mod:`agent.mt5sim.pricing`).

A broker suffix (``".a"``, ``"m"``) is appended to every name, as brokers do per account type (mt5-api §4.4).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from agent.mt5.flags import ORDER_MODE_ALL, SymbolExpiration, SymbolFilling
from agent.mt5sim import constants as c

_CURRENCY_NAMES = {
    "EUR": "Euro",
    "USD": "US Dollar",
    "GBP": "Great Britain Pound",
    "JPY": "Japanese Yen",
    "CHF": "Swiss Franc",
    "AUD": "Australian Dollar",
    "CAD": "Canadian Dollar",
    "NZD": "New Zealand Dollar",
}


@dataclass
class SimSymbol:
    """The server-side specification of one symbol.

    Prices are in ``currency_profit``; ``spread``, ``trade_stops_level`` and ``trade_freeze_level`` are in
    points; volumes in lots. ``filling_mode`` is the SYMBOL_FILLING_* bit mask (FOK 1, IOC 2, BOC 4), never
    the ORDER_FILLING_* enum. ``margin_rate`` multiplies the MQL5 margin formula of ``trade_calc_mode``
    (for CFD modes it is the share of the notional held as margin). Simulator-only fields: ``start_bid``
    (quote used until ``control.set_quote``), ``market_open`` (False gives 10018), ``commission_per_lot``
    (account currency charged per lot on every deal; 0 by default), ``liquidity_lots`` (lots the market takes
    in one deal: an IOC deal above it fills that much and answers 10010 DONE_PARTIAL, a FOK deal is rejected
    with 10006; 0, the default, is unlimited) and ``daily_volatility_pct`` (the typical standard deviation of
    one day's price change, in percent: the paper feed's random walk moves by it, :mod:`agent.mt5sim.feed`).
    """

    name: str
    description: str
    path: str
    currency_base: str
    currency_profit: str
    currency_margin: str
    digits: int
    start_bid: float
    spread: int
    trade_contract_size: float = 100_000.0
    trade_tick_size: float = 0.0
    volume_min: float = 0.01
    volume_max: float = 100.0
    volume_step: float = 0.01
    volume_limit: float = 0.0
    trade_stops_level: int = 0
    trade_freeze_level: int = 0
    filling_mode: int = int(SymbolFilling.FOK | SymbolFilling.IOC)
    trade_exemode: int = c.SYMBOL_TRADE_EXECUTION_MARKET
    trade_calc_mode: int = c.SYMBOL_CALC_MODE_FOREX
    trade_mode: int = c.SYMBOL_TRADE_MODE_FULL
    order_mode: int = int(ORDER_MODE_ALL)
    expiration_mode: int = int(SymbolExpiration(15))  # GTC, DAY, SPECIFIED, SPECIFIED_DAY
    order_gtc_mode: int = c.SYMBOL_ORDERS_GTC
    margin_rate: float = 1.0
    swap_long: float = 0.0
    swap_short: float = 0.0
    select: bool = False
    market_open: bool = True
    commission_per_lot: float = 0.0
    liquidity_lots: float = 0.0
    daily_volatility_pct: float = 0.6

    def __post_init__(self) -> None:
        if not self.trade_tick_size:
            self.trade_tick_size = self.point

    @property
    def point(self) -> float:
        """Smallest displayed price increment, ``10 ** -digits``."""
        return round(10.0**-self.digits, self.digits)

    @property
    def is_forex(self) -> bool:
        """FX pairs (calc mode FOREX / FOREX_NO_LEVERAGE); only these serve as currency conversion rates."""
        return self.trade_calc_mode in (c.SYMBOL_CALC_MODE_FOREX, c.SYMBOL_CALC_MODE_FOREX_NO_LEVERAGE)


def _fx(pair: str, bid: float, spread: int, filling: int, *, major: bool = False, **spec: object) -> SimSymbol:
    base, quote = pair[:3], pair[3:]
    kwargs: dict[str, object] = {"trade_stops_level": 0 if major else 10, "select": major}
    kwargs.update(spec)
    return SimSymbol(
        name=pair,
        description=f"{_CURRENCY_NAMES[base]} vs {_CURRENCY_NAMES[quote]}",
        path=f"Forex\\{'Majors' if major else 'Crosses'}\\{pair}",
        currency_base=base,
        currency_profit=quote,
        currency_margin=base,
        digits=3 if quote == "JPY" else 5,
        start_bid=bid,
        spread=spread,
        filling_mode=filling,
        **kwargs,  # type: ignore[arg-type]
    )


def _cfd(name: str, description: str, path: str, profit: str, digits: int, bid: float, spread: int,
         **spec: object) -> SimSymbol:
    return SimSymbol(
        name=name,
        description=description,
        path=f"{path}\\{name}",
        currency_base=profit if path == "Indices" else name[:3],
        currency_profit=profit,
        # CFD margin is computed on the notional in the profit currency, so that is the margin currency too.
        currency_margin=profit,
        digits=digits,
        start_bid=bid,
        spread=spread,
        **spec,  # type: ignore[arg-type]
    )


_FOK, _IOC = int(SymbolFilling.FOK), int(SymbolFilling.IOC)
_BOTH = _FOK | _IOC
# Typical daily volatility (standard deviation of a day's change, percent): FX majors 0.5-0.7, yen crosses and
# exotics more, gold about 1, silver and indices 1-2, crypto 3-4 (orders of magnitude of recent years' figures).
_INDEX = {"trade_calc_mode": c.SYMBOL_CALC_MODE_CFDINDEX, "margin_rate": 0.01, "volume_max": 100.0,
          "daily_volatility_pct": 1.1}
_METAL = {"trade_calc_mode": c.SYMBOL_CALC_MODE_CFD, "margin_rate": 0.01}
_CRYPTO = {"trade_calc_mode": c.SYMBOL_CALC_MODE_CFD, "margin_rate": 0.1, "volume_max": 10.0,
           "daily_volatility_pct": 3.5}


def _base_catalogue() -> list[SimSymbol]:
    return [
        # FX majors: in Market Watch from the start, market execution, no stops level (ECN-style).
        _fx("EURUSD", 1.08500, 12, _BOTH, major=True),
        _fx("GBPUSD", 1.27000, 15, _FOK, major=True),
        _fx("USDJPY", 150.000, 14, _BOTH, major=True),
        _fx("USDCHF", 0.88000, 15, _FOK, major=True),
        _fx("AUDUSD", 0.66000, 14, _BOTH, major=True),
        _fx("USDCAD", 1.36000, 18, _IOC, major=True),
        _fx("NZDUSD", 0.61000, 18, _FOK, major=True),
        # Crosses: hidden until symbol_select(), 1-pip stops level.
        _fx("EURJPY", 162.750, 20, _BOTH),
        _fx("GBPJPY", 190.500, 30, _IOC, trade_stops_level=20, daily_volatility_pct=0.8),
        _fx("AUDJPY", 99.000, 22, _FOK),
        _fx("CHFJPY", 170.450, 30, _BOTH),
        _fx("EURGBP", 0.85430, 16, _BOTH),
        # One instant-execution symbol: price and deviation matter, FOK only (mt5-api §2.3-2.4).
        _fx("EURCHF", 0.95480, 20, _FOK, trade_exemode=c.SYMBOL_TRADE_EXECUTION_INSTANT),
        _fx("EURAUD", 1.64390, 25, _BOTH),
        _fx("GBPCHF", 1.11760, 28, _IOC),
        _fx("AUDNZD", 1.08200, 30, _BOTH),
        # Metals: gold is IOC-only, the classic "FOK on FX, IOC on gold" broker (mt5-api §2.4 item 5).
        _cfd("XAUUSD", "Gold vs US Dollar", "Metals", "USD", 2, 2350.00, 20, trade_contract_size=100.0,
             volume_max=50.0, trade_stops_level=50, filling_mode=_IOC, select=True, daily_volatility_pct=1.0,
             **_METAL),
        _cfd("XAGUSD", "Silver vs US Dollar", "Metals", "USD", 3, 28.500, 25, trade_contract_size=5000.0,
             volume_max=20.0, trade_stops_level=30, filling_mode=_BOTH, daily_volatility_pct=1.8, **_METAL),
        # Index CFDs: tick size above the point on US30/US500, a freeze level on US30, EUR/GBP profit.
        _cfd("US30", "Wall Street 30 Cash", "Indices", "USD", 1, 39000.0, 20, trade_contract_size=1.0,
             trade_tick_size=1.0, volume_min=0.1, volume_step=0.1, trade_stops_level=50,
             trade_freeze_level=10, filling_mode=_FOK, **_INDEX),
        _cfd("US500", "US 500 Cash", "Indices", "USD", 2, 5200.00, 50, trade_contract_size=10.0,
             trade_tick_size=0.25, volume_min=0.1, volume_step=0.1, filling_mode=_IOC, **_INDEX),
        _cfd("USTEC", "US Tech 100 Cash", "Indices", "USD", 2, 18200.00, 150, trade_contract_size=1.0,
             volume_min=0.1, volume_step=0.1, filling_mode=_BOTH, **_INDEX),
        _cfd("NAS100", "Nasdaq 100 Cash", "Indices", "USD", 1, 18200.0, 15, trade_contract_size=1.0,
             volume_min=0.1, volume_step=0.1, filling_mode=_IOC, **_INDEX),
        # GER40 takes pending orders good till cancelled or for the day only (expiration_mode 3): the simulator's
        # symbol without SYMBOL_EXPIRATION_SPECIFIED, so an order with an expiry is answered 10022 there.
        _cfd("GER40", "Germany 40 Cash", "Indices", "EUR", 1, 18000.0, 15, trade_contract_size=1.0,
             volume_min=0.1, volume_step=0.1, filling_mode=_BOTH,
             expiration_mode=int(SymbolExpiration.GTC | SymbolExpiration.DAY), **_INDEX),
        _cfd("UK100", "UK 100 Cash", "Indices", "GBP", 1, 8200.0, 10, trade_contract_size=1.0,
             trade_tick_size=0.5, volume_min=0.1, volume_step=0.1, filling_mode=_FOK, **_INDEX),
        # Broker-style name with a dot inside the base name (FTMO and others).
        _cfd("US30.Cash", "US Wall Street 30 Index", "Indices", "USD", 2, 39000.00, 300,
             trade_contract_size=1.0, volume_min=0.01, volume_step=0.01, trade_stops_level=100,
             filling_mode=_IOC, **_INDEX),
        _cfd("BTCUSD", "Bitcoin vs US Dollar", "Crypto", "USD", 2, 65000.00, 1500, trade_contract_size=1.0,
             filling_mode=_BOTH, **_CRYPTO),
        _cfd("ETHUSD", "Ethereum vs US Dollar", "Crypto", "USD", 2, 3500.00, 150, trade_contract_size=1.0,
             filling_mode=_FOK, **_CRYPTO),
    ]


BASE_NAMES: tuple[str, ...] = tuple(s.name for s in _base_catalogue())


def build_catalogue(suffix: str = "") -> dict[str, SimSymbol]:
    """Fresh, mutable copies of every symbol, keyed by broker name (``base + suffix``), in catalogue order."""
    symbols = {}
    for spec in _base_catalogue():
        renamed = dataclasses.replace(spec, name=spec.name + suffix, path=spec.path + suffix)
        symbols[renamed.name] = renamed
    return symbols


SPEC_FIELDS: frozenset[str] = frozenset(f.name for f in dataclasses.fields(SimSymbol)) - {"name"}
