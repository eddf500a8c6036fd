"""Money maths: currency conversion, profit, margin and tick value, all in the account currency.

One formula serves ``order_calc_profit``, deal profits, floating profits and ``trade_tick_value``, so they are
consistent by construction: the profit of ``v`` lots moving ``d`` in price is
``d * trade_contract_size * v`` in the profit currency, which equals ``d / trade_tick_size * trade_tick_value
* v`` (mt5-api §4.3 worked examples: EURUSD 1 lot 200 ticks = 200 USD, XAUUSD 1 lot 1 000 ticks = 1 000 USD).

Conversion to the account currency uses the *current* bid of an FX symbol of the catalogue (directly, inverted,
or through USD), as the terminal does for ``trade_tick_value`` of JPY pairs (mt5-api §4.3).

Margin follows the MQL5 formulas per ``trade_calc_mode``
(https://www.mql5.com/en/docs/constants/environment_state/marketinfoconstants#enum_symbol_calc_mode):
FOREX ``lots * contract / leverage * rate`` in the margin currency; FOREX_NO_LEVERAGE without leverage;
CFD/CFDINDEX ``lots * contract * price * rate``; CFDLEVERAGE the same divided by leverage.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from agent.mt5sim import constants as c
from agent.mt5sim.catalogue import SimSymbol

QuoteFn = Callable[[str], tuple[float, float]]


class Market:
    """Prices and conversions over the broker's symbols, for an account in ``currency``.

    ``quote(name)`` returns the current ``(bid, ask)`` of a symbol.
    """

    def __init__(self, symbols: Mapping[str, SimSymbol], quote: QuoteFn, currency: str) -> None:
        self.symbols = symbols
        self.quote = quote
        self.currency = currency

    def rate(self, frm: str, to: str) -> float:
        """How many ``to`` one ``frm`` buys now (e.g. ``rate("JPY", "USD") == 1 / USDJPY bid``).

        :raises KeyError: when no FX symbol links the two currencies, even through USD.
        """
        if frm == to:
            return 1.0
        for spec in self.symbols.values():
            if not spec.is_forex:
                continue
            if (spec.currency_base, spec.currency_profit) == (frm, to):
                return self.quote(spec.name)[0]
            if (spec.currency_base, spec.currency_profit) == (to, frm):
                return 1.0 / self.quote(spec.name)[0]
        if "USD" not in (frm, to):
            return self.rate(frm, "USD") * self.rate("USD", to)
        raise KeyError(f"no conversion rate from {frm} to {to}")

    def profit(self, spec: SimSymbol, order_type: int, volume: float, price_open: float, price_close: float) -> float:
        """Profit in account currency of ``volume`` lots bought (ORDER_TYPE_BUY) or sold (SELL) at
        ``price_open`` and closed at ``price_close``; rounded to cents like a deal's profit."""
        sign = 1.0 if order_type == c.ORDER_TYPE_BUY else -1.0
        raw = sign * (price_close - price_open) * spec.trade_contract_size * volume
        return round(raw * self.rate(spec.currency_profit, self.currency), 2)

    def margin(self, spec: SimSymbol, volume: float, price: float, leverage: int) -> float:
        """Margin in account currency for ``volume`` lots at ``price`` (the direction does not matter)."""
        mode = spec.trade_calc_mode
        lots = volume * spec.trade_contract_size * spec.margin_rate
        if mode in (c.SYMBOL_CALC_MODE_FOREX, c.SYMBOL_CALC_MODE_FOREX_NO_LEVERAGE):
            amount = lots / leverage if mode == c.SYMBOL_CALC_MODE_FOREX else lots
            if spec.currency_margin == spec.currency_base and spec.currency_profit == self.currency:
                # EURUSD on a USD account: the base converts at the order's own price, not the market's.
                return round(amount * price, 2)
            return round(amount * self.rate(spec.currency_margin, self.currency), 2)
        amount = lots * price
        if mode == c.SYMBOL_CALC_MODE_CFDLEVERAGE:
            amount /= leverage
        return round(amount * self.rate(spec.currency_margin, self.currency), 2)

    def tick_value(self, spec: SimSymbol) -> float:
        """Value in account currency of one ``trade_tick_size`` move for 1 lot, at current conversion rates."""
        raw = spec.trade_tick_size * spec.trade_contract_size
        return raw * self.rate(spec.currency_profit, self.currency)


def on_tick(value: float, tick_size: float) -> bool:
    """True when ``value`` is a whole multiple of ``tick_size`` (within float noise)."""
    steps = value / tick_size
    return abs(steps - round(steps)) < 1e-6


def is_step_multiple(volume: float, minimum: float, step: float) -> bool:
    """True when ``volume = minimum + k * step`` for a whole ``k`` >= 0 (mt5-api §4.1)."""
    steps = (volume - minimum) / step
    return steps > -1e-9 and abs(steps - round(steps)) < 1e-6
