"""What the alert parser needs to know about the strategy, and the one error it raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

#: PineConnector EA "Volume Type": how a legacy ``risk=`` value is read (docs.pineconnector.com/ea).
LegacyVolumeType = Literal["lots", "money_loss", "pct_balance_lots", "pct_balance_margin", "pct_balance_loss"]
#: PineConnector EA "Target Type" / "Pending Order Entry": how legacy ``sl=``/``tp=``/``price=`` are read.
LegacyDistanceType = Literal["pips", "price", "pct"]


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
    """

    volume_type: LegacyVolumeType = "lots"
    target_type: LegacyDistanceType = "pips"
    entry_type: LegacyDistanceType = "pips"
    license_id: str | None = None
    default_symbol: str | None = None
    dialects: frozenset[str] = field(default_factory=frozenset)
    default_volume_configured: bool = False


class AlertRejected(ValueError):
    """The body is not an order the bridge can act on. ``str(exc)`` is a sentence for the trader that says
    what is wrong and how to fix the alert message (it becomes the signal's ``error_message``)."""
