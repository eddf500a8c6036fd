"""Notes for exchange-only fields an alert carries, which MetaTrader 5 has no use for.

TV-Forward's signal body (seed 001) is written for crypto exchanges: ``lever`` (leverage) and ``td_mode`` (margin
mode, isolated/cross) set the exchange account, and ``symbol``/``exchange`` name the venue's instrument. On MT5
the broker sets leverage and margin per account and symbol, so these fields are recorded with the signal (its
``intent.extras``) and the signal carries a note saying they did not apply, instead of silently dropping them.
"""

from __future__ import annotations

from contract.intent import TradeIntent

#: Extras key (as the alert wrote it, case-insensitive) -> what it set at the exchange.
_NOT_FOR_MT5 = {
    "lever": "leverage",
    "leverage": "leverage",
    "tdmode": "margin mode",
    "marginmode": "margin mode",
}


def venue_notes(intent: TradeIntent) -> list[str]:
    """One sentence per exchange-only field in ``intent.extras`` (``lever``, ``td_mode`` ...), in the alert's order."""
    notes: list[str] = []
    for key, value in intent.extras.items():
        what = _NOT_FOR_MT5.get(key.lower().replace("_", "").replace("-", ""))
        if what is not None:
            notes.append(
                f"{key}={value} (the exchange's {what}) was recorded but does not apply to MetaTrader 5: the "
                f"broker's {what} for this account and symbol applies."
            )
    return notes
