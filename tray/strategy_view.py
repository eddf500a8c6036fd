"""A strategy as text for the terminal: ``tvbridge strategy show`` and the summary ``strategy edit`` prints.

Shapes are the admin API's (``GET /api/v1/strategies``); each setting is labelled with its API field name in
words, so ``default volume`` is changed with ``--default-volume``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Formatter = Callable[[Any], str]


def _or(empty: str, unit: str = "") -> Formatter:
    def fmt(value: Any) -> str:
        if value is None or value == [] or value == {}:
            return empty
        return f"{value:g}{unit}" if isinstance(value, float) else f"{value}{unit}"

    return fmt


def _mapping(empty: str, arrow: str) -> Formatter:
    def fmt(value: Any) -> str:
        if not value:
            return empty
        return ", ".join(f"{k}{arrow}{v:g}" if isinstance(v, float) else f"{k}{arrow}{v}" for k, v in value.items())

    return fmt


def _items(empty: str) -> Formatter:
    return lambda value: ", ".join(value) if value else empty


def _shares(value: Any) -> str:
    return ", ".join(f"{v:g}" for v in value) if value else "equal shares"


def _yes_no(value: Any) -> str:
    return "yes" if value else "no"


def _set_or_not(value: Any) -> str:
    return "set: alerts must carry a valid X-TVBridge-Signature" if value else "not set (TradingView cannot sign)"


def _hidden(value: Any) -> str:
    return "set (hidden; `--json` shows it)" if value else "none"


#: (group title, [(API field, label, formatter)]) in the order ``show`` prints them.
GROUPS: list[tuple[str, list[tuple[str, str, Formatter]]]] = [
    ("Routing", [
        ("agent_id", "agent id (MT5 terminal)", _or("default")),
    ]),
    ("Volume", [
        ("volume_type", "volume type", _or("lots")),
        ("default_volume", "default volume", _or("none: every alert must name its volume", " lots")),
        ("max_lots", "max lots", _or("no limit", " lots")),
        ("risk_override_pct", "risk override pct", _or("none", " %")),
    ]),
    ("SL/TP and entry units (PineConnector sl=, tp=, price=)", [
        ("target_type", "target type", _or("pips")),
        ("entry_type", "entry type", _or("pips")),
    ]),
    ("Symbols", [
        ("symbol_map", "symbol map (--map/--unmap)", _mapping("none", "=")),
        ("symbol_suffix", "symbol suffix", _or("none")),
        ("default_symbol", "default symbol", _or("none")),
        ("pip_sizes", "pip sizes (--pip/--unpip)", _mapping("from the broker's symbol", "=")),
        ("allowed_pairs", "allowed pairs (--allow/--disallow)", _items("every symbol")),
    ]),
    ("Alert format", [
        ("license_id", "license id", _or("any")),
        ("alert_secret", "alert secret", _hidden),
        ("dialects", "dialects (--dialect/--no-dialect)", _items("none")),
    ]),
    ("Sender authentication", [
        ("signing_secret_set", "signing secret (--generate-signing-secret)", _set_or_not),
    ]),
    ("Limits and filters", [
        ("max_signal_age_seconds", "max signal age seconds", _or("none", " s")),
        ("dedup_window_seconds", "dedup window seconds", _or("0", " s")),
        ("max_open_positions", "max open positions", _or("no limit")),
        ("max_trades_per_day", "max trades per day", _or("no limit")),
        ("rate_limit_per_second", "rate limit per second", _or("50", " alerts")),
        ("rate_limit_per_minute", "rate limit per minute", _or("600", " alerts")),
        ("trading_halted", "trading halted (--halt/--unhalt)", _yes_no),
    ]),
    ("Exit rules and session (times in the rules time zone)", [
        ("max_hold_minutes", "max hold minutes", _or("no limit", " min")),
        ("flat_at", "flat at", _or("never")),
        ("trading_session", "trading session", _or("always")),
        ("rules_timezone", "rules timezone", _or("UTC")),
    ]),
    ("Shared positions (netting) and pyramiding", [
        ("netting_against_others", "netting against others", _or("refuse")),
        ("shared_stops", "shared stops", _or("refuse")),
        ("max_entries_per_direction", "max entries per direction", _or("no limit")),
        ("close_opposite_first", "close opposite first", _yes_no),
    ]),
    # -- issue 13 `flow` --
    ("Approval and several accounts", [
        ("require_approval", "require approval (--require-approval/--no-approval)", _yes_no),
        ("accounts", "further accounts (--account/--unaccount)", lambda value: ", ".join(
            f"{a['agent_id']} x{a['volume_multiplier']:g}" for a in value) if value else "none"),
    ]),
    ("Strategy controls", [
        ("timeframes", "timeframes (--timeframe)", _items("all")),
        ("risk_multiplier", "risk multiplier", _or("1")),
        ("dedup_by", "duplicates by", _or("body")),
        ("max_lots_mode", "above max lots", _or("refuse")),
        ("max_exposure_pct", "max exposure", _or("no cap", "% of equity")),
        ("exposure_basis", "exposure basis", _or("margin")),
    ]),
    ("Take-profit levels", [
        ("tp_split", "default TP split % (--tp-split)", _shares),
    ]),
]

_BY_FIELD = {field: (label, fmt) for _, rows in GROUPS for field, label, fmt in rows}
_BY_FIELD["name"] = ("name", _or(""))
_BY_FIELD["is_enabled"] = ("enabled (--enable/--disable)", _yes_no)


def headline(strategy: dict[str, Any]) -> str:
    """``[2] Gold scalper (enabled, 3 signals)``."""
    state = "enabled" if strategy.get("is_enabled") else "disabled"
    count = strategy.get("signal_count")
    counted = f", {count} signal{'' if count == 1 else 's'}" if count is not None else ""
    return f"[{strategy['strategy_id']}] {strategy['name']} ({state}{counted})"


def format_strategy(strategy: dict[str, Any]) -> str:
    """Every setting of ``strategy``, grouped, one per line."""
    width = max(len(label) for _, rows in GROUPS for _, label, _ in rows) + 2  # the value column, after "    "
    lines = [
        headline(strategy),
        f"  {'webhook URL':<{width + 2}}{strategy['webhook_url']}",
        f"  {'magic number':<{width + 2}}{strategy['magic_number']} (carried by every order of this strategy)",
    ]
    for title, rows in GROUPS:
        lines.append(f"  {title}")
        lines.extend(f"    {label:<{width}}{fmt(strategy.get(field))}" for field, label, fmt in rows)
    lines.append(f"Change a setting with `tvbridge strategy edit {strategy['strategy_id']} --<setting> VALUE` "
                 "(--help lists them).")
    return "\n".join(lines)


def format_changes(before: dict[str, Any], after: dict[str, Any], fields: list[str]) -> list[str]:
    """``  default volume: 0.01 lots -> 0.05 lots`` for each of ``fields`` whose value changed."""
    lines = []
    for field in fields:
        if before.get(field) == after.get(field):
            continue
        label, fmt = _BY_FIELD.get(field, (field.replace("_", " "), _or("none")))
        lines.append(f"  {label.split(' (')[0]}: {fmt(before.get(field))} -> {fmt(after.get(field))}")
    return lines
