"""The size of one "pip" of a symbol, in price units.

MT5 has no pip: everything is points (``SymbolInfo.point``). Alerts in the PineConnector dialect speak pips
(``sl=20``, ``sl_pips=20``, ``spread=2``), so the bridge needs a convention per instrument. The defaults are the
table of mt5-api §4.3 ("Pips"), checked in this order:

1. ``settings.pip_sizes`` override, keyed by the broker name (``XAUUSD.a``) or the base name (``XAUUSD``).
2. Metals (checked before FX because many brokers give XAUUSD the FOREX calc mode): gold (``XAU*``,
   ``GOLD``) 0.10, "the most common convention" per §4.3, which also notes that brokers and users differ, hence
   configurable; silver (``XAG*``, ``SILVER``) 0.01. Other metals (XPT, XPD) have no common convention.
3. Crypto (BTC, ETH, ...): none. §4.3: "none; take distances in price or %". Refused unless configured.
4. FX (``spec.is_forex``, calc mode FOREX / FOREX_NO_LEVERAGE): ``10 * point`` for 3/5-digit quotes,
   ``point`` for 2/4-digit quotes (§4.3 rule ``pip = point * 10 if digits in (3, 5) else point``).
5. Indices (calc mode CFDINDEX, an ``Indices`` path, or a well-known index CFD name): 1.0 index point.
   PineConnector warns that on NAS100/US100 "sl=10 might mean 1 point or 10 points" (docs.pineconnector.com/ea):
   1.0 is §4.3's convention; traders whose broker differs set ``pip_sizes``.
6. Anything else (stocks, energies, unknown CFDs): refused unless configured.
"""

from __future__ import annotations

from decimal import Decimal

from agent.broker.models import CalcMode, SymbolSpec
from agent.planner.symbols import split_broker_name
from agent.planner.text import dec, plain
from agent.planner.types import PlanRejected
from contract.settings import ExecutionSettings

#: Default gold pip (mt5-api §4.3: 0.10 "by the most common convention").
GOLD_PIP = Decimal("0.1")
#: Default silver pip (mt5-api §4.3: XAGUSD digits 3, pip 0.01).
SILVER_PIP = Decimal("0.01")
#: Default index pip: one index point (mt5-api §4.3).
INDEX_PIP = Decimal("1")

_GOLD = ("XAU", "GOLD")
_SILVER = ("XAG", "SILVER")
_CRYPTO = (
    "BTC",
    "XBT",
    "ETH",
    "LTC",
    "XRP",
    "BCH",
    "SOL",
    "ADA",
    "DOGE",
    "DOT",
    "BNB",
    "AVAX",
    "LINK",
    "MATIC",
    "TRX",
    "XLM",
    "SHIB",
    "ATOM",
)
_INDICES = (
    "US30",
    "DJ30",
    "WS30",
    "DJI",
    "US500",
    "SPX500",
    "SP500",
    "US100",
    "NAS100",
    "USTEC",
    "NDX100",
    "US2000",
    "GER40",
    "GER30",
    "DE40",
    "DE30",
    "DAX",
    "UK100",
    "FTSE100",
    "FRA40",
    "F40",
    "EU50",
    "STOXX50",
    "ESP35",
    "ITA40",
    "JP225",
    "JPN225",
    "NIKKEI",
    "AUS200",
    "HK50",
    "CHINA50",
    "CN50",
)


def pip_size(spec: SymbolSpec, settings: ExecutionSettings) -> Decimal:
    """One pip of ``spec`` in price units.

    :param spec: the broker symbol.
    :param settings: the strategy's settings (``pip_sizes`` overrides).
    :return: the pip size, e.g. ``Decimal("0.0001")`` for 5-digit EURUSD.
    :raises PlanRejected: the symbol has no pip convention (crypto, stocks, unknown CFDs) and none is configured.
    """
    override = configured_pip(spec, settings)
    if override is not None:
        return override
    base = _base_name(spec)
    kind = instrument_kind(spec)
    if kind == "gold":
        return GOLD_PIP
    if kind == "silver":
        return SILVER_PIP
    if kind == "forex":
        return dec(spec.point) * (10 if spec.digits in (3, 5) else 1)
    if kind == "index":
        return INDEX_PIP
    what = {"crypto": "crypto has no pip convention", "metal": "this metal has no common pip convention"}.get(
        kind, "it is neither an FX pair, gold, silver nor an index"
    )
    raise PlanRejected(
        f"Pips are not defined for {spec.name} ({what}): send the level as a price, points or a percentage, "
        f"or set a pip size for {base} in the strategy's settings."
    )


def configured_pip(spec: SymbolSpec, settings: ExecutionSettings) -> Decimal | None:
    """The ``settings.pip_sizes`` entry for ``spec`` (broker name first, then its base name), if any."""
    by_upper = {k.strip().upper(): v for k, v in settings.pip_sizes.items()}
    value = by_upper.get(spec.name.upper())
    if value is None:
        value = next((v for k, v in by_upper.items() if split_broker_name(spec.name, k)), None)
    if value is None:
        return None
    if value <= 0:
        raise PlanRejected(f"The strategy's pip size for {spec.name} is {plain(value)}; it must be above 0.")
    return dec(value)


def instrument_kind(spec: SymbolSpec) -> str:
    """``"gold"``, ``"silver"``, ``"metal"``, ``"crypto"``, ``"forex"``, ``"index"`` or ``"other"``."""
    base = _base_name(spec)
    ccy = spec.currency_base.upper()
    if ccy == "XAU" or base.startswith(_GOLD):
        return "gold"
    if ccy == "XAG" or base.startswith(_SILVER):
        return "silver"
    if ccy in ("XPT", "XPD") or base.startswith(("XPT", "XPD")):
        return "metal"
    # The base currency is decisive when the adapter filled it; names only decide when it did not.
    if ccy in _CRYPTO or (not ccy and base.startswith(_CRYPTO)) or "crypto" in spec.path.lower():
        return "crypto"
    if spec.is_forex:
        return "forex"
    path = spec.path.lower()
    if spec.calc_mode == CalcMode.CFD_INDEX or "indic" in path or "index" in path:
        return "index"
    if base.startswith(_INDICES):
        return "index"
    return "other"


def price_in_pips(distance: Decimal, spec: SymbolSpec, settings: ExecutionSettings) -> Decimal:
    """``distance`` (price units) in pips of ``spec``; raises like :func:`pip_size`."""
    return distance / pip_size(spec, settings)


def _base_name(spec: SymbolSpec) -> str:
    """The broker name without a short trailing suffix: ``XAUUSD.a`` -> ``XAUUSD``, ``US30.Cash`` -> ``US30``."""
    name = spec.name.upper().lstrip("#")
    for sep in (".", "-", "_", "+"):
        head, found, tail = name.rpartition(sep)
        if found and head and len(tail) <= 4:
            return head
    return name
