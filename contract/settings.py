"""A strategy's execution settings, as a job carries them to the agent.

The server copies them from the strategy into every job, so the agent needs no database and a change to the
strategy never alters a job already queued.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: The longest order comment the bridge writes: MT5 keeps 31 characters, the Python module accepts 29 UTF-16
#: code units (mt5-api §1.7, §2.3); 27 ASCII characters keep a margin.
MAX_COMMENT_CHARS = 27


#: ``HH:MM``, 00:00 to 23:59.
CLOCK_TIME = r"^([01]\d|2[0-3]):[0-5]\d$"
#: ``HH:MM-HH:MM``.
SESSION = r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$"

#: Whose volume an entry may net against on a netting account (see :class:`ExecutionSettings`).
NettingPolicy = Literal["refuse", "strategies", "anyone"]
#: Whether an entry or modification may move SL/TP another owner shares (see :class:`ExecutionSettings`).
SharedStopsPolicy = Literal["refuse", "allow"]

#: What an entry larger than the strategy's ``max_lots`` does: refused, or reduced to ``max_lots`` (and said so).
MaxLotsMode = Literal["refuse", "cap"]
#: What an exposure cap measures: the margin the positions hold, or their notional value (both in the account
#: currency, as % of equity).
ExposureBasis = Literal["margin", "notional"]

#: Order comments of closes the agent makes on its own (exit rules), by rule; the ledger reads them back as exit
#: reasons. ``tvb-exit:`` never matches a signal comment (``tvb:<id>``).
EXIT_COMMENTS = {"max_hold": "tvb-exit:hold", "flat_time": "tvb-exit:flat"}


class ExecutionSettings(BaseModel):
    """How the agent trades one job of one strategy.

    - ``magic_number``: the MT5 magic number stamped on every order; only positions/orders with it are touched.
    - ``comment``: the order comment that names the signal (``tvb:<signal id>``); the planner writes at most
      :data:`MAX_COMMENT_CHARS` ASCII characters of it.
    - ``default_volume_lots``: lots used when the alert names no volume (``None``: such alerts are refused).
    - ``max_lots``: the strategy's lot cap; larger requests are refused, never clamped.
    - ``risk_override_pct``: when set, entries with an SL are sized to lose this % of balance at the SL.
    - ``symbol_map``: aliases, TradingView name -> broker name (``{"NQ1!": "USTEC", "GOLD": "XAUUSD"}``).
    - ``symbol_suffix``: the broker's suffix when auto-discovery is ambiguous (``".a"``, ``"m"``).
    - ``pip_sizes``: per-symbol pip size overrides in price units (``{"XAUUSD": 0.1, "US30": 1.0}``).
    - ``deviation_points``: accepted slippage for instant/request execution, in points.
    - ``max_open_positions``: refuse entries when this strategy already holds this many positions (the positions
      of one entry's take-profit levels on hedging count as one).

    Ownership on netting accounts (one position per symbol, shared by every owner that built it; the strategy's
    holding is its own share, :mod:`contract.netting`):

    - ``netting_against_others``: what an entry may do when it would net against volume that is not this
      strategy's own share: ``refuse`` it with a sentence (the default), allow it against other tvbridge
      ``strategies``' shares only, or against ``anyone``'s (manual trades and other EAs too). What was allowed
      is reported and the ledger records whose share moved.
    - ``shared_stops``: SL/TP of a netting position belong to the whole position: ``refuse`` (default) an
      entry or modification whose SL/TP would move another owner's levels, or ``allow`` it (and say so).
    - ``owners``: every tvbridge strategy's magic number -> its name, so shares can be told apart from manual
      ones and named in sentences ("0.5 of B's remains").

    Exit rules and pyramiding (times are in ``rules_timezone``, an IANA name such as ``Europe/London``):

    - ``max_hold_minutes``: the agent closes the strategy's positions (its share, on netting) this long after
      they opened.
    - ``flat_at``: ``HH:MM``: every day at that time the agent closes the strategy's positions.
    - ``trading_session``: ``HH:MM-HH:MM`` (may cross midnight): entries outside it are refused with a sentence.
    - ``max_entries_per_direction``: entries allowed on one side of one symbol while the strategy holds that side.
    - ``close_opposite_first``: on hedging accounts, an entry first closes the strategy's positions of the other
      side on the symbol (netting does that by itself).

    Fan-out (issue 13, one strategy on several accounts, as TradersPost subscriptions):

    - ``volume_multiplier``: this account's factor on every entry volume the planner computes (lots, risk-sized,
      default lot), applied before rounding down to the volume step; 1 on the strategy's primary account.

    Trader's controls (issue 13; :mod:`agent.planner.exposure`, :func:`agent.planner.volume.finalize`):

    - ``risk_multiplier``: every computed entry volume is multiplied by it, then rounded down to the volume step.
    - ``max_lots_mode``: ``refuse`` an entry above ``max_lots`` (the default), or ``cap`` it to ``max_lots``.
    - ``max_exposure_pct`` / ``exposure_basis``: the strategy's positions may hold at most this % of equity as
      ``margin`` or ``notional`` value (account currency); an entry that would cross it is refused.
    - ``account_max_exposure_pct`` / ``account_exposure_basis`` / ``account_max_open_positions``: the same caps
      over every position of the account (the app's settings, copied into every job); exits are never refused.
    """

    model_config = ConfigDict(frozen=True)

    magic_number: int = Field(ge=0, lt=2**63)
    comment: str = Field(default="", max_length=200)
    default_volume_lots: float | None = None
    max_lots: float | None = None
    risk_override_pct: float | None = None
    symbol_map: dict[str, str] = Field(default_factory=dict)
    symbol_suffix: str | None = None
    pip_sizes: dict[str, float] = Field(default_factory=dict)
    deviation_points: int = 20
    max_open_positions: int | None = None
    netting_against_others: NettingPolicy = "refuse"
    shared_stops: SharedStopsPolicy = "refuse"
    owners: dict[int, str] = Field(default_factory=dict)
    max_hold_minutes: int | None = Field(default=None, ge=1)
    flat_at: str | None = Field(default=None, pattern=CLOCK_TIME)
    trading_session: str | None = Field(default=None, pattern=SESSION)
    rules_timezone: str = Field(default="UTC", min_length=1, max_length=64)
    max_entries_per_direction: int | None = Field(default=None, ge=1)
    close_opposite_first: bool = False
    volume_multiplier: float = Field(default=1.0, gt=0, le=100)
    risk_multiplier: float = Field(default=1.0, gt=0)
    max_lots_mode: MaxLotsMode = "refuse"
    max_exposure_pct: float | None = Field(default=None, gt=0)
    exposure_basis: ExposureBasis = "margin"
    account_max_exposure_pct: float | None = Field(default=None, gt=0)
    account_exposure_basis: ExposureBasis = "margin"
    account_max_open_positions: int | None = Field(default=None, ge=1)

    def exit_rules(self) -> ExitRules:
        """The rules the agent's exit monitor keeps for this strategy."""
        return ExitRules(
            magic_number=self.magic_number, max_hold_minutes=self.max_hold_minutes, flat_at=self.flat_at,
            rules_timezone=self.rules_timezone,
        )


class ExitRules(BaseModel):
    """One strategy's exit rules as the agent's exit monitor keeps them (``GET /api/v1/agents/{id}/exit-rules``
    and every job's :class:`ExecutionSettings`): close its positions ``max_hold_minutes`` after they opened, and
    every day at ``flat_at`` (``HH:MM`` in ``rules_timezone``). Both ``None``: no rule."""

    model_config = ConfigDict(frozen=True)

    magic_number: int = Field(ge=0, lt=2**63)
    max_hold_minutes: int | None = Field(default=None, ge=1)
    flat_at: str | None = Field(default=None, pattern=CLOCK_TIME)
    rules_timezone: str = Field(default="UTC", min_length=1, max_length=64)

    @property
    def active(self) -> bool:
        """True when the strategy has a rule to enforce."""
        return self.max_hold_minutes is not None or self.flat_at is not None
