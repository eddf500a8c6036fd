"""What the alert parser needs to know about the strategy, and the one error it raises."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from contract.intent import DistanceUnit, VolumeUnit


class EaVolumeType(StrEnum):
    """PineConnector EA "Volume Type": how a legacy ``risk=`` value is read (docs.pineconnector.com/ea).

    A strategy setting (``Strategy.volume_type``); each value names the :class:`VolumeUnit` it means.
    """

    LOTS = "lots"
    MONEY_LOSS = "money_loss"
    PCT_BALANCE_LOTS = "pct_balance_lots"
    PCT_BALANCE_MARGIN = "pct_balance_margin"
    PCT_BALANCE_LOSS = "pct_balance_loss"

    @property
    def unit(self) -> VolumeUnit:
        """The volume unit a legacy ``risk=`` has under this setting."""
        return VolumeUnit(self.value)


class EaDistanceType(StrEnum):
    """PineConnector EA "Target Type" / "Pending Order Entry": how legacy ``sl=``/``tp=`` (target type) and
    ``price=`` (entry type) are read. Strategy settings ``target_type``/``entry_type``."""

    PIPS = "pips"
    PRICE = "price"
    PCT = "pct"

    @property
    def unit(self) -> DistanceUnit:
        """The distance unit a legacy level has under this setting."""
        return DistanceUnit(self.value)


class Dialect(StrEnum):
    """Opt-in alert formats that would otherwise be refused as ambiguous (``ParseContext.dialects``)."""

    TRADESGNL = "tradesgnl"  #: ``License,SYMBOL,ACTION,...`` (TradeSgnl's order)
    TRADINGVIEW_DEFAULT = "tradingview_default"  #: ``order sell @ 1 filled on EURUSD`` (TradingView's default)


@dataclass(frozen=True)
class ParseContext:
    """Strategy settings that change how a body is read.

    - ``volume_type``/``target_type``/``entry_type``: the PineConnector EA settings that give legacy
      ``risk=``, ``sl=``/``tp=`` and ``price=`` their units (defaults are PineConnector's: lots, pips, pips).
    - ``license_id``: when set, a PineConnector alert with a different License ID is refused.
    - ``default_symbol``: the symbol for alerts that name none (``BUY SL=50 TP=100 LOT=0.01``).
    - ``dialects``: opt-in formats that would otherwise be refused as ambiguous:
      ``"tradesgnl"`` (``License,SYMBOL,ACTION,...``) and ``"tradingview_default"`` (TradingView's default
      strategy message ``order sell @ 1 filled on EURUSD``).
    - ``default_volume_configured``: the strategy has a default lot size. Only then does an entry that names
      no volume parse (to ``VolumeUnit.DEFAULT``); otherwise it is refused at parse time, as PineConnector
      requires ``risk=``/``vol_*`` on every entry (ExecRelay ``ErrMissingVolume``; corpus
      ``60123456789,buy,EURUSD``).
    - ``tp_split``: the strategy's default shares (TP1 first, normalised to 100 %) of take-profit levels an alert
      gives without any share (server/alerts/takeprofits.py); empty: equal shares.
    - ``symbol_map``: the strategy's TradingView-name -> broker-symbol aliases. The parser only uses it to pick
      between two names of one instrument an alert gives (TV-Forward's ``ticker`` and ``symbol``): the one the
      strategy maps is traded (the agent applies the mapping).
    """

    volume_type: EaVolumeType = EaVolumeType.LOTS
    target_type: EaDistanceType = EaDistanceType.PIPS
    entry_type: EaDistanceType = EaDistanceType.PIPS
    license_id: str | None = None
    default_symbol: str | None = None
    dialects: frozenset[str] = field(default_factory=frozenset)
    default_volume_configured: bool = False
    tp_split: tuple[float, ...] = ()
    symbol_map: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Accept the settings' plain strings as stored in the database; a value outside the enums raises here.
        object.__setattr__(self, "volume_type", EaVolumeType(self.volume_type))
        object.__setattr__(self, "target_type", EaDistanceType(self.target_type))
        object.__setattr__(self, "entry_type", EaDistanceType(self.entry_type))


class AlertRejected(ValueError):
    """The body is not an order the bridge can act on. ``str(exc)`` is a sentence for the trader that says
    what is wrong and how to fix the alert message (it becomes the signal's ``error_message``)."""


class LicenseMismatch(AlertRejected):
    """The alert's PineConnector License ID is not the strategy's (or is empty while the strategy has one): an
    authentication failure rather than a syntax error. ``license_id`` is the one the alert carried (``""``: empty)."""

    def __init__(self, message: str, license_id: str) -> None:
        super().__init__(message)
        self.license_id = license_id
