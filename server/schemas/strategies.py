"""Strategy models of ``/api/v1/strategies``: :class:`StrategyCreate` (POST), :class:`StrategyUpdate` (PATCH),
:class:`StrategyPublic` (every answer).

The request models bound every value (:mod:`server.schemas.bounds`); the answer model only types them, so a
row written by an older version with a value outside today's bounds can still be read.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from server.alerts import EaDistanceType, EaVolumeType
from server.schemas import bounds
from server.schemas.types import (
    AgentId,
    AlertSecret,
    ClockTime,
    DedupWindow,
    EntriesPerDirection,
    ExposurePct,
    Flag,
    HoldMinutes,
    LicenseId,
    Lots,
    Name,
    OpenPositions,
    Pct,
    PipSizes,
    RatePerMinute,
    RatePerSecond,
    RiskMultiplier,
    SessionHours,
    SignalAge,
    SigningSecret,
    Suffix,
    Symbol,
    SymbolList,
    SymbolMap,
    Timeframes,
    TimeZone,
    TpSplit,
    TradesPerDay,
    only_symbol_keys,
    optional,
    time_zone_enum,
)

#: Most further accounts one strategy fans out to.
MAX_ACCOUNTS = 8

#: Lots used when an alert names no volume, for strategies created without saying otherwise.
DEFAULT_VOLUME_LOTS = 0.01
DEFAULT_MAX_SIGNAL_AGE_SECONDS = 300
DEFAULT_DEDUP_WINDOW_SECONDS = 60
#: Alerts per second / minute a strategy receives before further ones are discarded: above what any real strategy
#: sends (a watchlist alert firing on 40 symbols at one bar close is 40 in a second), below a runaway loop.
DEFAULT_RATE_LIMIT_PER_SECOND = 50
DEFAULT_RATE_LIMIT_PER_MINUTE = 600


class Dialect(StrEnum):
    """Opt-in alert formats that are otherwise refused as ambiguous (``server.alerts.context.ParseContext``)."""

    TRADESGNL = "tradesgnl"  #: ``LicenseID,SYMBOL,ACTION,...`` (docs.tradesgnl.com/signals)
    TRADINGVIEW_DEFAULT = "tradingview_default"  #: ``order sell @ 1 filled on EURUSD``


Dialects = Annotated[list[Dialect], Field(max_length=len(Dialect))]


class NettingPolicy(StrEnum):
    """Whose volume an entry may net against on a netting account (contract ``NettingPolicy``)."""

    REFUSE = "refuse"  #: only the strategy's own share: an entry that would move anyone else's is refused
    STRATEGIES = "strategies"  #: other tvbridge strategies' shares may move (never manual trades, other EAs)
    ANYONE = "anyone"  #: any volume of the position, manual trades and other EAs included


class SharedStops(StrEnum):
    """Whether an alert may change SL/TP that other owners of a netting position share."""

    REFUSE = "refuse"
    ALLOW = "allow"

class DedupBy(StrEnum):
    """What makes an alert a duplicate of an earlier one within the dedup window (:mod:`server.controls`)."""

    BODY = "body"  #: an identical message body (and the same alert id within 24 h)
    MEANING = "meaning"  #: an entry of the same symbol, direction and timeframe, whatever else differs


class MaxLotsMode(StrEnum):
    """What an entry larger than ``max_lots`` does."""

    REFUSE = "refuse"  #: refused with a sentence, nothing sent
    CAP = "cap"  #: sent at ``max_lots``, and the signal says so


class ExposureBasis(StrEnum):
    """What an exposure cap measures, as % of equity (account currency)."""

    MARGIN = "margin"  #: the margin the positions hold (MT5 order_calc_margin)
    NOTIONAL = "notional"  #: volume x contract size x price, converted to the account currency


#: One description per setting, shared by the request and answer models.
DOCS: dict[str, str] = {
    "name": f"The strategy's name (1 to {bounds.MAX_NAME_CHARS} characters); PineConnector's `strategy=` routes by it.",
    "agent_id": "The agent (one MT5 terminal) that trades this strategy's alerts.",
    "is_enabled": "When false, alerts are logged as `discarded` and not traded.",
    "risk_override_pct": (
        f"Percent of balance to lose at the SL, {bounds.MIN_PCT} to {bounds.MAX_PCT:g}: entries with an SL are "
        "sized by it instead of their volume. `null`: use the alert's volume."
    ),
    "allowed_pairs": (
        f"Symbols this strategy may trade (at most {bounds.MAX_SYMBOLS}); empty: all. Compared case-insensitively, "
        "with or without the TradingView exchange prefix."
    ),
    "default_volume": (
        f"Lots used when an alert names no volume (more than 0, at most {bounds.MAX_LOTS:,.0f}). `null`: such "
        "alerts are refused."
    ),
    "max_lots": (
        f"Largest volume in lots this strategy may send (at most {bounds.MAX_LOTS:,.0f}); larger is refused, or "
        "capped to it with `max_lots_mode` = `cap`."
    ),
    "max_signal_age_seconds": (
        f"Seconds an alert may be old, 1 to {bounds.MAX_SIGNAL_AGE_SECONDS:,}: by its own timestamp at intake, and "
        "from its arrival until the agent sends it."
    ),
    "dedup_window_seconds": (
        f"Seconds, 0 to {bounds.MAX_DEDUP_WINDOW_SECONDS:,}, in which an identical alert body is a duplicate."
    ),
    "max_open_positions": (
        f"Entries are refused while the strategy holds this many positions (1 to {bounds.MAX_OPEN_POSITIONS:,}). "
        "`null`: no limit."
    ),
    "max_trades_per_day": (
        f"Entries a UTC day (1 to {bounds.MAX_TRADES_PER_DAY:,}); further entries are discarded. `null`: no limit."
    ),
    "symbol_map": (
        f"TradingView name -> broker symbol (`{{\"NQ1!\": \"USTEC\"}}`), at most {bounds.MAX_SYMBOLS} entries "
        f"of up to {bounds.MAX_SYMBOL_CHARS} characters."
    ),
    "symbol_suffix": (
        f"The broker's symbol suffix (`.a`, `m`; up to {bounds.MAX_SUFFIX_CHARS} characters) when the agent cannot "
        "tell it from the symbol list. `null`: discover it."
    ),
    "pip_sizes": (
        f"Pip size overrides in price units by symbol (`{{\"XAUUSD\": 0.1}}`), more than 0, at most "
        f"{bounds.MAX_PIP_SIZE:,.0f}."
    ),
    "volume_type": "How a PineConnector `risk=` is read (the EA's Volume Type).",
    "target_type": "How PineConnector `sl=`/`tp=` are read: pips, price or percent (the EA's Target Type).",
    "entry_type": "How a PineConnector `price=` is read: pips, price or percent (the EA's Pending Order Entry).",
    "license_id": (
        f"PineConnector License ID (up to {bounds.MAX_LICENSE_ID_CHARS} characters): alerts naming another are "
        "refused, and the universal webhook routes by it with `strategy=`."
    ),
    "alert_secret": (
        f"When set (up to {bounds.MAX_ALERT_SECRET_CHARS} characters), alerts must carry `secret=` equal to it; "
        "the universal webhook also routes by it (JSON `secret`/`api_sec`)."
    ),
    "signing_secret": (
        f"Write-only. The HMAC-SHA256 key ({bounds.MIN_SIGNING_SECRET_CHARS} to {bounds.MAX_SIGNING_SECRET_CHARS} "
        "characters) shared with a sender that signs its requests: when set, an alert without a valid "
        "`X-TVBridge-Signature` header is rejected (docs/alerts.md). TradingView cannot sign: leave it unset for "
        "TradingView alerts. `null` removes it. Never returned: answers say only `signing_secret_set`."
    ),
    "signing_secret_set": "Whether a signing secret is set (the secret itself is never returned).",
    "rate_limit_per_second": (
        f"Alerts a second (1 to {bounds.MAX_RATE_PER_SECOND:,}) before further ones are discarded with the "
        "reason (still answered 200)."
    ),
    "rate_limit_per_minute": (
        f"Alerts a minute (1 to {bounds.MAX_RATE_PER_MINUTE:,}) before further ones are discarded with the reason."
    ),
    "default_symbol": "The symbol of alerts that name none.",
    "dialects": "Opt-in alert formats (`tradesgnl`, `tradingview_default`).",
    "trading_halted": "Set by an `eaoff` alert (cleared by `eaon`): entries are discarded, exits still run.",
    "netting_against_others": (
        "On a netting account (one position per symbol, shared by every owner): what an entry may do when it would "
        "net against volume that is not the strategy's own share. `refuse` (default): nothing is sent, a sentence "
        "says why; `strategies`: other strategies' shares may move (never manual trades or other EAs); `anyone`: "
        "any volume. What moved is reported and recorded in the ledger."
    ),
    "shared_stops": (
        "On a netting account the SL/TP belong to the whole position: `refuse` (default) an alert whose SL/TP would "
        "change them while other owners hold part of it, or `allow` it (and say so)."
    ),
    "max_hold_minutes": (
        f"Minutes (1 to {bounds.MAX_HOLD_MINUTES:,}) after which the agent closes the strategy's position (its share, "
        "on netting) with the comment `tvb-exit:hold`; `null`: no limit."
    ),
    "flat_at": (
        "A time of day `HH:MM` (in `rules_timezone`): the agent closes the strategy's positions opened before it, "
        "every day, with the comment `tvb-exit:flat`; `null`: no daily flat time."
    ),
    "trading_session": (
        "Hours `HH:MM-HH:MM` (in `rules_timezone`; `22:00-06:00` crosses midnight) outside which entries are "
        "discarded with a sentence (exits always run); `null`: always."
    ),
    "rules_timezone": "The time zone of `flat_at` and `trading_session`: an IANA name such as `Europe/London`.",
    "max_entries_per_direction": (
        f"Entries allowed on one side of one symbol while the strategy holds that side (pyramiding, 1 to "
        f"{bounds.MAX_ENTRIES_PER_DIRECTION:,}); further entries are discarded. `null`: no limit."
    ),
    "close_opposite_first": (
        "On a hedging account, an entry first closes the strategy's positions of the other side on the symbol "
        "(a netting account nets them by itself)."
    ),
    # -- issue 13 `flow` --
    "require_approval": (
        "Manual approval (TradersPost's auto-submit off): accepted alerts wait as `awaiting_approval` until the "
        "trader approves or rejects them (dashboard, tray, CLI, `POST /api/v1/signals/{id}/approve|reject`); "
        "unapproved after `max_signal_age_seconds` they end `expired`."
    ),
    "accounts": (
        f"Further accounts (agents, one MT5 terminal each) this strategy also trades on, at most {MAX_ACCOUNTS}, each "
        "with its `volume_multiplier` on every entry volume (0 < m <= 100). `agent_id` stays the primary account "
        "(multiplier 1). One alert makes one job per account; the signal shows each account's outcome."
    ),
    "timeframes": (
        f"Chart timeframes this strategy trades (at most {bounds.MAX_TIMEFRAMES}), in any form TradingView's "
        "`{{interval}}` or a trader writes (`60`, `1h`, `4H`, `D`, `M15`), stored in one form (`15m`, `1h`, `4h`, "
        "`1D`, `1W`, `1M`). Entries from another timeframe, or naming none, are refused; exits always run. "
        "Empty: every timeframe."
    ),
    "risk_multiplier": (
        f"Every computed entry volume is multiplied by this ({bounds.MIN_RISK_MULTIPLIER:g} to "
        f"{bounds.MAX_RISK_MULTIPLIER:g}), then rounded down to the symbol's volume step; below the symbol's "
        "minimum volume the entry is refused. 1: as computed."
    ),
    "dedup_by": (
        "`body` (default): an identical message within the dedup window is a duplicate. `meaning`: an entry with "
        "the same symbol, direction and timeframe as a signal within the dedup window is a duplicate, whatever its "
        "price or comment."
    ),
    "max_lots_mode": (
        "What an entry above `max_lots` does: `refuse` (default; nothing is sent) or `cap` (sent at `max_lots`, and "
        "the signal says so)."
    ),
    "max_exposure_pct": (
        f"The strategy's positions may hold at most this % of equity ({bounds.MIN_EXPOSURE_PCT:g} to "
        f"{bounds.MAX_EXPOSURE_PCT:,.0f}) as margin or notional value (`exposure_basis`); an entry that would cross "
        "it is refused with the figures. Exits always run. `null`: no cap."
    ),
    "exposure_basis": "What `max_exposure_pct` measures: `margin` (default) or `notional` value, in % of equity.",
    "tp_split": (
        "Default shares of the volume, TP1 first, of the take-profit levels an alert gives without shares "
        "(`[50, 30, 20]`; normalised to 100 %, so `[5, 3, 2]` is the same split); such an alert must have as many "
        "levels as the split has shares. `[]`: equal shares. See docs/alerts.md, Several take-profit levels."
    ),
}


class AccountTarget(BaseModel):
    """One further account a strategy trades on (fan-out) and its volume multiplier."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    agent_id: AgentId = Field(description="The agent (one MT5 terminal) of the account.")
    volume_multiplier: Annotated[float, Field(gt=0, le=100)] = Field(
        default=1.0, description="Factor on every entry volume on this account, e.g. 0.5 for half the size."
    )


#: Each agent at most once, never the primary ``agent_id`` (checked by the service: 409, server/flow/targets.py).
Accounts = Annotated[list[AccountTarget], Field(max_length=MAX_ACCOUNTS)]


class StrategyCreate(BaseModel):
    """A new strategy: a name, and any settings (the rest take their defaults)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: Name = Field(description=DOCS["name"])
    agent_id: AgentId = Field(default="default", description=DOCS["agent_id"])
    is_enabled: Flag = Field(default=True, description=DOCS["is_enabled"])
    risk_override_pct: Pct | None = Field(default=None, description=DOCS["risk_override_pct"])
    allowed_pairs: SymbolList = Field(default_factory=list, description=DOCS["allowed_pairs"])
    default_volume: Lots | None = Field(default=DEFAULT_VOLUME_LOTS, description=DOCS["default_volume"])
    max_lots: Lots | None = Field(default=None, description=DOCS["max_lots"])
    max_signal_age_seconds: SignalAge = Field(
        default=DEFAULT_MAX_SIGNAL_AGE_SECONDS, description=DOCS["max_signal_age_seconds"]
    )
    dedup_window_seconds: DedupWindow = Field(
        default=DEFAULT_DEDUP_WINDOW_SECONDS, description=DOCS["dedup_window_seconds"]
    )
    max_open_positions: OpenPositions | None = Field(default=None, description=DOCS["max_open_positions"])
    max_trades_per_day: TradesPerDay | None = Field(default=None, description=DOCS["max_trades_per_day"])
    symbol_map: SymbolMap = Field(default_factory=dict, description=DOCS["symbol_map"])
    symbol_suffix: Suffix | None = Field(default=None, description=DOCS["symbol_suffix"])
    pip_sizes: PipSizes = Field(default_factory=dict, description=DOCS["pip_sizes"])
    volume_type: EaVolumeType = Field(default=EaVolumeType.LOTS, description=DOCS["volume_type"])
    target_type: EaDistanceType = Field(default=EaDistanceType.PIPS, description=DOCS["target_type"])
    entry_type: EaDistanceType = Field(default=EaDistanceType.PIPS, description=DOCS["entry_type"])
    license_id: LicenseId | None = Field(default=None, description=DOCS["license_id"])
    alert_secret: AlertSecret | None = Field(default=None, description=DOCS["alert_secret"])
    default_symbol: Symbol | None = Field(default=None, description=DOCS["default_symbol"])
    dialects: Dialects = Field(default_factory=list, description=DOCS["dialects"])
    trading_halted: Flag = Field(default=False, description=DOCS["trading_halted"])
    signing_secret: SigningSecret | None = Field(default=None, description=DOCS["signing_secret"])
    rate_limit_per_second: RatePerSecond = Field(
        default=DEFAULT_RATE_LIMIT_PER_SECOND, description=DOCS["rate_limit_per_second"]
    )
    rate_limit_per_minute: RatePerMinute = Field(
        default=DEFAULT_RATE_LIMIT_PER_MINUTE, description=DOCS["rate_limit_per_minute"]
    )
    netting_against_others: NettingPolicy = Field(
        default=NettingPolicy.REFUSE, description=DOCS["netting_against_others"]
    )
    shared_stops: SharedStops = Field(default=SharedStops.REFUSE, description=DOCS["shared_stops"])
    max_hold_minutes: HoldMinutes | None = Field(default=None, description=DOCS["max_hold_minutes"])
    flat_at: ClockTime | None = Field(default=None, description=DOCS["flat_at"])
    trading_session: SessionHours | None = Field(default=None, description=DOCS["trading_session"])
    rules_timezone: TimeZone = Field(
        default="UTC", description=DOCS["rules_timezone"], json_schema_extra=time_zone_enum
    )
    max_entries_per_direction: EntriesPerDirection | None = Field(
        default=None, description=DOCS["max_entries_per_direction"]
    )
    close_opposite_first: Flag = Field(default=False, description=DOCS["close_opposite_first"])
    # -- issue 13 `flow` --
    require_approval: Flag = Field(default=False, description=DOCS["require_approval"])
    accounts: Accounts = Field(default_factory=list, description=DOCS["accounts"])
    timeframes: Timeframes = Field(default_factory=list, description=DOCS["timeframes"])
    risk_multiplier: RiskMultiplier = Field(default=1.0, description=DOCS["risk_multiplier"])
    dedup_by: DedupBy = Field(default=DedupBy.BODY, description=DOCS["dedup_by"])
    max_lots_mode: MaxLotsMode = Field(default=MaxLotsMode.REFUSE, description=DOCS["max_lots_mode"])
    max_exposure_pct: ExposurePct | None = Field(default=None, description=DOCS["max_exposure_pct"])
    exposure_basis: ExposureBasis = Field(default=ExposureBasis.MARGIN, description=DOCS["exposure_basis"])
    tp_split: TpSplit = Field(default_factory=list, description=DOCS["tp_split"])


class StrategyUpdate(BaseModel):
    """Settings to change; fields left out stay as they are. ``null`` clears a nullable setting (e.g.
    ``max_lots``) and is refused for the others."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: Name = optional(DOCS["name"])
    agent_id: AgentId = optional(DOCS["agent_id"])
    is_enabled: Flag = optional(DOCS["is_enabled"])
    risk_override_pct: Pct | None = Field(default=None, description=DOCS["risk_override_pct"])
    allowed_pairs: SymbolList = optional(DOCS["allowed_pairs"])
    default_volume: Lots | None = Field(default=None, description=DOCS["default_volume"])
    max_lots: Lots | None = Field(default=None, description=DOCS["max_lots"])
    max_signal_age_seconds: SignalAge = optional(DOCS["max_signal_age_seconds"])
    dedup_window_seconds: DedupWindow = optional(DOCS["dedup_window_seconds"])
    max_open_positions: OpenPositions | None = Field(default=None, description=DOCS["max_open_positions"])
    max_trades_per_day: TradesPerDay | None = Field(default=None, description=DOCS["max_trades_per_day"])
    symbol_map: SymbolMap = optional(DOCS["symbol_map"], only_symbol_keys)
    symbol_suffix: Suffix | None = Field(default=None, description=DOCS["symbol_suffix"])
    pip_sizes: PipSizes = optional(DOCS["pip_sizes"], only_symbol_keys)
    volume_type: EaVolumeType = optional(DOCS["volume_type"])
    target_type: EaDistanceType = optional(DOCS["target_type"])
    entry_type: EaDistanceType = optional(DOCS["entry_type"])
    license_id: LicenseId | None = Field(default=None, description=DOCS["license_id"])
    alert_secret: AlertSecret | None = Field(default=None, description=DOCS["alert_secret"])
    default_symbol: Symbol | None = Field(default=None, description=DOCS["default_symbol"])
    dialects: Dialects = optional(DOCS["dialects"])
    trading_halted: Flag = optional(DOCS["trading_halted"])
    signing_secret: SigningSecret | None = Field(default=None, description=DOCS["signing_secret"])
    rate_limit_per_second: RatePerSecond = optional(DOCS["rate_limit_per_second"])
    rate_limit_per_minute: RatePerMinute = optional(DOCS["rate_limit_per_minute"])
    netting_against_others: NettingPolicy = optional(DOCS["netting_against_others"])
    shared_stops: SharedStops = optional(DOCS["shared_stops"])
    max_hold_minutes: HoldMinutes | None = Field(default=None, description=DOCS["max_hold_minutes"])
    flat_at: ClockTime | None = Field(default=None, description=DOCS["flat_at"])
    trading_session: SessionHours | None = Field(default=None, description=DOCS["trading_session"])
    rules_timezone: TimeZone = optional(DOCS["rules_timezone"], time_zone_enum)
    max_entries_per_direction: EntriesPerDirection | None = Field(
        default=None, description=DOCS["max_entries_per_direction"]
    )
    close_opposite_first: Flag = optional(DOCS["close_opposite_first"])
    # -- issue 13 `flow` --
    require_approval: Flag = optional(DOCS["require_approval"])
    accounts: Accounts = optional(DOCS["accounts"])
    timeframes: Timeframes = optional(DOCS["timeframes"])
    risk_multiplier: RiskMultiplier = optional(DOCS["risk_multiplier"])
    dedup_by: DedupBy = optional(DOCS["dedup_by"])
    max_lots_mode: MaxLotsMode = optional(DOCS["max_lots_mode"])
    max_exposure_pct: ExposurePct | None = Field(default=None, description=DOCS["max_exposure_pct"])
    exposure_basis: ExposureBasis = optional(DOCS["exposure_basis"])
    tp_split: TpSplit = optional(DOCS["tp_split"])


class StrategyPublic(BaseModel):
    """A strategy as every strategy route answers it: its settings, identity and webhook URL."""

    strategy_id: int = Field(description="The strategy's id; never reused, even after it is archived.")
    name: str = Field(description=DOCS["name"])
    agent_id: str = Field(description=DOCS["agent_id"])
    magic_number: int = Field(
        description="The MT5 magic number stamped on every order of this strategy; never reused (first: 27700001)."
    )
    webhook_url: str | None = Field(
        description="The URL to paste into TradingView's alert dialog (it holds the secret); `null` once archived."
    )
    signal_count: int = Field(description="Signals stored for this strategy.")
    is_enabled: bool = Field(description=DOCS["is_enabled"])
    risk_override_pct: float | None = Field(description=DOCS["risk_override_pct"])
    allowed_pairs: list[str] = Field(description=DOCS["allowed_pairs"])
    default_volume: float | None = Field(description=DOCS["default_volume"])
    max_lots: float | None = Field(description=DOCS["max_lots"])
    max_signal_age_seconds: int = Field(description=DOCS["max_signal_age_seconds"])
    dedup_window_seconds: int = Field(description=DOCS["dedup_window_seconds"])
    max_open_positions: int | None = Field(description=DOCS["max_open_positions"])
    max_trades_per_day: int | None = Field(description=DOCS["max_trades_per_day"])
    symbol_map: dict[str, str] = Field(description=DOCS["symbol_map"])
    symbol_suffix: str | None = Field(description=DOCS["symbol_suffix"])
    pip_sizes: dict[str, float] = Field(description=DOCS["pip_sizes"])
    volume_type: str = Field(description=DOCS["volume_type"])
    target_type: str = Field(description=DOCS["target_type"])
    entry_type: str = Field(description=DOCS["entry_type"])
    license_id: str | None = Field(description=DOCS["license_id"])
    alert_secret: str | None = Field(description=DOCS["alert_secret"])
    default_symbol: str | None = Field(description=DOCS["default_symbol"])
    dialects: list[str] = Field(description=DOCS["dialects"])
    trading_halted: bool = Field(description=DOCS["trading_halted"])
    signing_secret_set: bool = Field(description=DOCS["signing_secret_set"])
    rate_limit_per_second: int = Field(description=DOCS["rate_limit_per_second"])
    rate_limit_per_minute: int = Field(description=DOCS["rate_limit_per_minute"])
    netting_against_others: str = Field(default="refuse", description=DOCS["netting_against_others"])
    shared_stops: str = Field(default="refuse", description=DOCS["shared_stops"])
    max_hold_minutes: int | None = Field(default=None, description=DOCS["max_hold_minutes"])
    flat_at: str | None = Field(default=None, description=DOCS["flat_at"])
    trading_session: str | None = Field(default=None, description=DOCS["trading_session"])
    rules_timezone: str = Field(default="UTC", description=DOCS["rules_timezone"])
    max_entries_per_direction: int | None = Field(default=None, description=DOCS["max_entries_per_direction"])
    close_opposite_first: bool = Field(default=False, description=DOCS["close_opposite_first"])
    # -- issue 13 `flow` --
    require_approval: bool = Field(default=False, description=DOCS["require_approval"])
    accounts: list[AccountTarget] = Field(default_factory=list, description=DOCS["accounts"])
    timeframes: list[str] = Field(default_factory=list, description=DOCS["timeframes"])
    risk_multiplier: float = Field(default=1.0, description=DOCS["risk_multiplier"])
    dedup_by: str = Field(default="body", description=DOCS["dedup_by"])
    max_lots_mode: str = Field(default="refuse", description=DOCS["max_lots_mode"])
    max_exposure_pct: float | None = Field(default=None, description=DOCS["max_exposure_pct"])
    exposure_basis: str = Field(default="margin", description=DOCS["exposure_basis"])
    tp_split: list[float] = Field(default_factory=list, description=DOCS["tp_split"])
    created_at: datetime = Field(description="When the strategy was created (UTC).")
    updated_at: datetime = Field(description="When a setting last changed (UTC).")
    archived_at: datetime | None = Field(
        description="When the strategy was deleted (UTC): its signals stay in the log, its webhook URL is dead."
    )
