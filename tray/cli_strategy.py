"""``tvbridge strategy list|create|show|edit|enable|disable|rotate|delete``: a running instance's strategies.

Every command takes a strategy's id or its exact name (case-insensitive). Exit codes: see
:mod:`tray.cli_remote`.
"""

from __future__ import annotations

import json
import secrets
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer

from server.alerts.context import Dialect, EaDistanceType, EaVolumeType
from server.schemas.strategies import DedupBy, ExposureBasis, MaxLotsMode, NettingPolicy, SharedStops
from tray import strategy_edit as edits
from tray.cli_common import DataDir, app
from tray.cli_remote import EXIT_REFUSED, Remote, fail
from tray.strategy_view import format_changes, format_strategy, headline

strategy_app = typer.Typer(help="Show and change the strategies of a running tvbridge.", no_args_is_help=True)
app.add_typer(strategy_app, name="strategy")

StrategyRef = Annotated[str, typer.Argument(metavar="ID|NAME", help="The strategy's id or exact name.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]

#: How ``edit`` spells the API fields it edits with friendly options (for refusal sentences).
LABELS = {
    "symbol_map": "--map/--unmap",
    "allowed_pairs": "--allow/--disallow",
    "pip_sizes": "--pip/--unpip",
    "dialects": "--dialect/--no-dialect",
    "is_enabled": "--enable/--disable",
    "trading_halted": "--halt/--unhalt",
    "signing_secret": "--enter-signing-secret",
    "require_approval": "--require-approval/--no-approval",
    "accounts": "--account/--unaccount",
}


def find_strategy(remote: Remote, ref: str) -> dict[str, Any]:
    """The strategy (``GET /api/v1/strategies`` shape, with ``signal_count``) whose id is ``ref`` or whose
    name equals ``ref`` ignoring case. :raises typer.Exit: (1) none, or several with that name."""
    strategies: list[dict[str, Any]] = remote.call("GET", "/api/v1/strategies")
    if ref.strip().isdigit():
        found = [s for s in strategies if s["strategy_id"] == int(ref)]
        if not found:
            fail(f"No strategy has id {ref.strip()}. `tvbridge strategy list` shows them.", EXIT_REFUSED)
        return found[0]
    named = [s for s in strategies if s["name"].casefold() == ref.strip().casefold()]
    if not named:
        fail(f"No strategy is named {ref!r}. `tvbridge strategy list` shows them.", EXIT_REFUSED)
    if len(named) > 1:
        ids = ", ".join(str(s["strategy_id"]) for s in named)
        fail(f"{len(named)} strategies are named {ref!r}; give the id instead ({ids}).", EXIT_REFUSED)
    return named[0]


@strategy_app.command("list")
def strategy_list(data_dir: DataDir = None) -> None:
    """List strategies with their webhook URLs."""
    with Remote(data_dir) as remote:
        for s in remote.call("GET", "/api/v1/strategies"):
            typer.echo(f"{headline(s)} {s['webhook_url']}")


@strategy_app.command("create")
def strategy_create(
    name: str,
    default_volume: Annotated[float | None, typer.Option(help="Lots when the alert names none.")] = None,
    allowed_pairs: Annotated[str | None, typer.Option(help="Comma-separated symbols; empty allows all.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Create a strategy and print its webhook URL (change its other settings with `strategy edit`)."""
    body: dict[str, Any] = {"name": name}
    if default_volume is not None:
        body["default_volume"] = default_volume
    if allowed_pairs:
        body["allowed_pairs"] = edits.symbols([allowed_pairs])
    with Remote(data_dir) as remote:
        s = remote.call("POST", "/api/v1/strategies", json=body, labels={"name": "NAME"})
    typer.echo(f"[{s['strategy_id']}] {s['name']}: {s['webhook_url']}")


@strategy_app.command("show")
def strategy_show(
    strategy: StrategyRef,
    as_json: Annotated[bool, typer.Option("--json", help="Print the admin API's JSON instead.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Every setting of one strategy, its webhook URL and magic number."""
    with Remote(data_dir) as remote:
        found = find_strategy(remote, strategy)
    typer.echo(json.dumps(found, indent=2) if as_json else format_strategy(found))


@strategy_app.command("enable")
def strategy_enable(strategy: StrategyRef, data_dir: DataDir = None) -> None:
    """Enable a strategy."""
    _set_enabled(data_dir, strategy, True)


@strategy_app.command("disable")
def strategy_disable(strategy: StrategyRef, data_dir: DataDir = None) -> None:
    """Disable a strategy (its alerts are logged as discarded)."""
    _set_enabled(data_dir, strategy, False)


def _set_enabled(data_dir: Any, ref: str, enabled: bool) -> None:
    with Remote(data_dir) as remote:
        found = find_strategy(remote, ref)
        s = remote.call("PATCH", f"/api/v1/strategies/{found['strategy_id']}", json={"is_enabled": enabled})
    typer.echo(f"[{s['strategy_id']}] {s['name']} {'enabled' if enabled else 'disabled'}")


@strategy_app.command("rotate")
def strategy_rotate(strategy: StrategyRef, yes: Yes = False, data_dir: DataDir = None) -> None:
    """Give a strategy a new webhook URL; the old one stops working at once."""
    with Remote(data_dir) as remote:
        found = find_strategy(remote, strategy)
        _confirm(yes, f"Rotate the webhook URL of {headline(found)}? The old URL stops working at once: every "
                      "TradingView alert using it must get the new one.", "the webhook URL is unchanged")
        s = remote.call("POST", f"/api/v1/strategies/{found['strategy_id']}/rotate-secret")
    typer.echo(f"New webhook URL of [{s['strategy_id']}] {s['name']} (paste it into its TradingView alerts):")
    typer.echo(f"  {s['webhook_url']}")


@strategy_app.command("delete")
def strategy_delete(strategy: StrategyRef, yes: Yes = False, data_dir: DataDir = None) -> None:
    """Delete a strategy with its signal log (tvbridge refuses, saying why, when it cannot)."""
    with Remote(data_dir) as remote:
        found = find_strategy(remote, strategy)
        _confirm(yes, f"Delete {headline(found)} and its signal log? This cannot be undone.", "nothing was deleted")
        remote.call("DELETE", f"/api/v1/strategies/{found['strategy_id']}")
    typer.echo(f"Deleted [{found['strategy_id']}] {found['name']}.")


def _confirm(yes: bool, question: str, declined: str) -> None:
    """Ask ``question`` unless ``yes``; a no (or no terminal to ask on) ends the command with exit 1."""
    if yes:
        return
    try:
        agreed = typer.confirm(question, default=False)
    except typer.Abort:  # stdin closed: nobody to ask
        agreed = False
        typer.echo("", err=True)
    if not agreed:
        fail(f"Not confirmed: {declined}. (--yes skips the question.)", EXIT_REFUSED)


# -- edit -----------------------------------------------------------------------------------------------




#: Settings ``--clear`` empties (``null``, or an empty collection).
CLEARABLE: dict[str, Any] = {
    "default_volume": None, "max_lots": None, "risk_override_pct": None, "max_open_positions": None,
    "max_trades_per_day": None, "symbol_suffix": None, "default_symbol": None, "license_id": None,
    "alert_secret": None, "symbol_map": {}, "pip_sizes": {}, "allowed_pairs": [], "dialects": [],
    "signing_secret": None,
    "max_hold_minutes": None, "flat_at": None, "trading_session": None, "max_entries_per_direction": None,
    "accounts": [],
    "timeframes": [], "max_exposure_pct": None,
    "tp_split": [],
}
#: ``--clear`` takes a setting as its option is spelled (``--clear max-lots``).
Clearable = StrEnum("Clearable", {f.replace("_", "-"): f.replace("_", "-") for f in CLEARABLE})  # type: ignore[misc]

Many = list[str] | None


def _opt(help: str, panel: str | None = None, *names: str, **kw: Any) -> Any:
    """A typer option for ``edit`` under the help panel ``panel`` (the dashboard's setting groups)."""
    return typer.Option(*names, help=help, rich_help_panel=panel, show_default=False, **kw)


ROUTE, VOLUME, UNITS, SYMBOLS = "Routing", "Volume", "SL/TP and entry units", "Symbols"
FORMAT, LIMITS, AUTH = "Alert format", "Limits and filters", "Sender authentication"
FORMAT, LIMITS = "Alert format", "Limits and filters"
EXITS, SHARED = "Exit rules and session", "Shared positions (netting) and pyramiding"
FLOW = "Approval and several accounts"
CONTROLS = "Strategy controls"
TAKE_PROFITS = "Take-profit levels"


@strategy_app.command("edit", no_args_is_help=True)
def strategy_edit(  # noqa: C901 - one flat option-to-field mapping
    strategy: StrategyRef,
    name: Annotated[str | None, _opt("New name.")] = None,
    enable: Annotated[bool | None, _opt("Trade its alerts, or discard them.", None, "--enable/--disable")] = None,
    agent_id: Annotated[str | None, _opt("The agent id (MT5 terminal) that executes its alerts.", ROUTE)] = None,
    volume_type: Annotated[EaVolumeType | None, _opt("Units of PineConnector's risk=.", VOLUME)] = None,
    default_volume: Annotated[float | None, _opt("Lots when the alert names no volume.", VOLUME)] = None,
    max_lots: Annotated[float | None, _opt("Largest volume of one order, in lots.", VOLUME)] = None,
    risk_override_pct: Annotated[float | None, _opt("Size entries that have an SL to lose this % of the balance "
                                                    "at the SL.", VOLUME)] = None,
    target_type: Annotated[EaDistanceType | None, _opt("Units of PineConnector's sl= and tp=.", UNITS)] = None,
    entry_type: Annotated[EaDistanceType | None, _opt("Units of PineConnector's price=.", UNITS)] = None,
    map_: Annotated[Many, _opt("Add or change a symbol map entry, e.g. --map NQ1!=USTEC (repeatable).", SYMBOLS,
                               "--map", metavar="TV=BROKER")] = None,
    unmap: Annotated[Many, _opt("Remove a symbol map entry (repeatable).", SYMBOLS, metavar="TV")] = None,
    symbol_suffix: Annotated[str | None, _opt("Broker suffix added to symbols, e.g. .m", SYMBOLS)] = None,
    default_symbol: Annotated[str | None, _opt("Symbol for alerts that name none.", SYMBOLS)] = None,
    pip: Annotated[Many, _opt("Pip size in price units, e.g. --pip XAUUSD=0.1 (repeatable).", SYMBOLS,
                              metavar="SYMBOL=SIZE")] = None,
    unpip: Annotated[Many, _opt("Use the broker's pip size again (repeatable).", SYMBOLS, metavar="SYMBOL")] = None,
    allow: Annotated[Many, _opt("Add to the allowed pairs (repeatable or comma-separated; no allowed pairs "
                                "allows every symbol).", SYMBOLS, metavar="SYMBOL")] = None,
    disallow: Annotated[Many, _opt("Remove from the allowed pairs (repeatable).", SYMBOLS, metavar="SYMBOL")] = None,
    license_id: Annotated[str | None, _opt("Refuse PineConnector alerts with another License ID.", FORMAT)] = None,
    alert_secret: Annotated[str | None, _opt("Refuse alerts whose secret= differs; the universal URL also routes "
                                             "by it.", FORMAT)] = None,
    generate_signing_secret: Annotated[bool, _opt(
        "Require signed alerts (X-TVBridge-Signature, for senders that can sign; not TradingView): make a new "
        "random signing secret, save it and print it once.", AUTH)] = False,
    enter_signing_secret: Annotated[bool, _opt(
        "As --generate-signing-secret, with a secret you type (asked without echo; or one line on stdin).",
        AUTH)] = False,
    dialect: Annotated[list[Dialect] | None, _opt("Accept this opt-in alert format (repeatable).", FORMAT)] = None,
    no_dialect: Annotated[list[Dialect] | None, _opt("Stop accepting this alert format (repeatable).",
                                                     FORMAT)] = None,
    max_signal_age_seconds: Annotated[int | None, _opt("Refuse older alerts; expire alerts waiting longer for "
                                                       "the agent.", LIMITS)] = None,
    dedup_window_seconds: Annotated[int | None, _opt("Identical alerts within this many seconds are duplicates.",
                                                     LIMITS)] = None,
    max_open_positions: Annotated[int | None, _opt("Most positions this strategy may hold.", LIMITS)] = None,
    max_trades_per_day: Annotated[int | None, _opt("Most entries per day (00:00 UTC).", LIMITS)] = None,
    rate_limit_per_second: Annotated[int | None, _opt("Alerts a second before further ones are discarded "
                                                      "(default 50).", LIMITS)] = None,
    rate_limit_per_minute: Annotated[int | None, _opt("Alerts a minute before further ones are discarded "
                                                      "(default 600).", LIMITS)] = None,
    halt: Annotated[bool | None, _opt("Like PineConnector's eaoff/eaon: discard alerts that open exposure, or "
                                      "trade them again.", LIMITS, "--halt/--unhalt")] = None,
    max_hold_minutes: Annotated[int | None, _opt("Close the strategy's positions this many minutes after they "
                                                 "opened.", EXITS)] = None,
    flat_at: Annotated[str | None, _opt("Close the strategy's positions every day at HH:MM.", EXITS)] = None,
    trading_session: Annotated[str | None, _opt("Discard entries outside HH:MM-HH:MM (22:00-06:00 crosses "
                                                "midnight).", EXITS)] = None,
    rules_timezone: Annotated[str | None, _opt("Time zone of --flat-at and --trading-session, e.g. "
                                               "Europe/London.", EXITS)] = None,
    netting_against_others: Annotated[NettingPolicy | None, _opt(
        "On a netting account, may an entry reduce another owner's share: refuse, strategies, anyone.", SHARED
    )] = None,
    shared_stops: Annotated[SharedStops | None, _opt("On a netting account, may an alert change SL/TP other "
                                                     "owners share: refuse or allow.", SHARED)] = None,
    max_entries_per_direction: Annotated[int | None, _opt("Most entries on one side of one symbol (pyramiding).",
                                                          SHARED)] = None,
    close_opposite_first: Annotated[bool | None, _opt(
        "Hedging: close the other side before opening.", SHARED, "--close-opposite-first/--keep-opposite"
    )] = None,
    # -- issue 13 `flow` --
    require_approval: Annotated[bool | None, _opt(
        "Hold its alerts until you approve them (tvbridge signals approve ID), or trade them at once.", FLOW,
        "--require-approval/--no-approval")] = None,
    account: Annotated[Many, _opt("Also trade on this agent with a volume multiplier, e.g. --account prop=0.5 "
                                  "(repeatable).", FLOW, metavar="AGENT=MULTIPLIER")] = None,
    unaccount: Annotated[Many, _opt("Stop trading on this further agent (repeatable).", FLOW,
                                    metavar="AGENT")] = None,
    timeframe: Annotated[Many, _opt("Trade only entries from these chart timeframes (repeatable or comma-separated: "
                                    "60, 4H, D, 15m); replaces the list.", CONTROLS, metavar="TIMEFRAME")] = None,
    risk_multiplier: Annotated[float | None, _opt("Multiply every entry volume by this (then round down to the "
                                                  "volume step).", CONTROLS)] = None,
    dedup_by: Annotated[DedupBy | None, _opt("Duplicates are an identical message (body), or an entry of the same "
                                             "symbol, direction and timeframe (meaning).", CONTROLS)] = None,
    max_lots_mode: Annotated[MaxLotsMode | None, _opt("Above --max-lots: refuse the order, or cap it to max lots.",
                                                      CONTROLS)] = None,
    max_exposure_pct: Annotated[float | None, _opt("Most % of equity the strategy's positions may hold (see "
                                                   "--exposure-basis).", CONTROLS)] = None,
    exposure_basis: Annotated[ExposureBasis | None, _opt("What --max-exposure-pct measures: margin or notional.",
                                                         CONTROLS)] = None,
    tp_split: Annotated[str | None, _opt(
        "Default shares in percent of TP1, TP2, TP3 for alerts whose levels have none, e.g. 50,30,20.", TAKE_PROFITS
    )] = None,
    clear: Annotated[list[Clearable] | None, _opt(
        "Empty a setting (repeatable): " + ", ".join(m.value for m in Clearable) + ".", None,
        metavar="SETTING")] = None,
    data_dir: DataDir = None,
) -> None:
    """Change any setting of a strategy; settings left out stay as they are."""
    scalars = {
        "name": name, "is_enabled": enable, "agent_id": agent_id, "volume_type": volume_type,
        "default_volume": default_volume, "max_lots": max_lots, "risk_override_pct": risk_override_pct,
        "target_type": target_type, "entry_type": entry_type, "symbol_suffix": symbol_suffix,
        "default_symbol": default_symbol, "license_id": license_id, "alert_secret": alert_secret,
        "max_signal_age_seconds": max_signal_age_seconds, "dedup_window_seconds": dedup_window_seconds,
        "max_open_positions": max_open_positions, "max_trades_per_day": max_trades_per_day, "trading_halted": halt,
        "rate_limit_per_second": rate_limit_per_second, "rate_limit_per_minute": rate_limit_per_minute,
        "max_hold_minutes": max_hold_minutes, "flat_at": flat_at, "trading_session": trading_session,
        "rules_timezone": rules_timezone,
        "netting_against_others": str(netting_against_others) if netting_against_others else None,
        "shared_stops": str(shared_stops) if shared_stops else None,
        "max_entries_per_direction": max_entries_per_direction, "close_opposite_first": close_opposite_first,
        "require_approval": require_approval,
        "timeframes": [t.strip() for item in timeframe for t in item.split(",") if t.strip()] if timeframe else None,
        "risk_multiplier": risk_multiplier, "dedup_by": str(dedup_by) if dedup_by else None,
        "max_lots_mode": str(max_lots_mode) if max_lots_mode else None, "max_exposure_pct": max_exposure_pct,
        "exposure_basis": str(exposure_basis) if exposure_basis else None,
    }
    changes: dict[str, Any] = {k: v for k, v in scalars.items() if v is not None}
    if tp_split is not None:
        try:
            changes["tp_split"] = [float(p) for p in tp_split.replace(" ", "").split(",") if p]
        except ValueError:
            fail(f"--tp-split takes percentages separated by commas, such as 50,30,20 (not {tp_split!r}).", 2)
    shown_secret = _signing_secret(generate_signing_secret, enter_signing_secret)
    if shown_secret is not None:
        changes["signing_secret"] = shown_secret
    for option in map(str, clear or []):
        field = option.replace("-", "_")
        if field in changes:
            fail(f"--clear {option} and --{option} contradict each other; give one.", 2)
        changes[field] = CLEARABLE[field]
    with Remote(data_dir) as remote:
        found = find_strategy(remote, strategy)
        try:
            changes.update(_collection_changes(found, changes, map_, unmap, pip, unpip, allow, disallow,
                                               dialect, no_dialect))
            if account or unaccount:
                changes["accounts"] = _accounts(changes.get("accounts", found.get("accounts") or []), account or [],
                                                unaccount or [])
        except edits.EditError as exc:
            fail(f"{exc} Nothing was changed.", 2)
        if not changes:
            fail("Nothing to change: give at least one setting (`tvbridge strategy edit --help` lists them).", 2)
        after = remote.call("PATCH", f"/api/v1/strategies/{found['strategy_id']}", json=changes, labels=LABELS)
    lines = format_changes(found, after, list(changes))
    if "signing_secret" in changes:  # write-only: the answer says only whether one is set
        lines.append(f"  signing secret: {'set' if after['signing_secret_set'] else 'removed'}")
    typer.echo(f"Saved [{after['strategy_id']}] {after['name']}" + (":" if lines else ": nothing was different."))
    for line in lines:
        typer.echo(line)
    if generate_signing_secret and shown_secret is not None:
        typer.echo("The signing secret (shown this once; give it to the sending tool, see docs/alerts.md):")
        typer.echo(f"  {shown_secret}")


def _signing_secret(generate: bool, enter: bool) -> str | None:
    """A new signing secret: random (32 bytes, URL-safe) or typed without echo; ``None`` when not asked for."""
    if generate and enter:
        fail("--generate-signing-secret and --enter-signing-secret contradict each other; give one.", 2)
    if generate:
        return secrets.token_urlsafe(32)
    if enter:
        if sys.stdin is not None and not sys.stdin.isatty():
            return sys.stdin.readline().strip()
        return str(typer.prompt("Signing secret (16 to 256 characters)", hide_input=True)).strip()
    return None


def _collection_changes(found: dict[str, Any], cleared: dict[str, Any], map_: Any, unmap: Any, pip: Any,
                        unpip: Any, allow: Any, disallow: Any, dialect: Any, no_dialect: Any) -> dict[str, Any]:
    """The new symbol map, pip sizes, allowed pairs and dialects (only those the options touch), each built
    from its current value, or from empty when ``--clear`` emptied it first."""

    def start(field: str) -> Any:
        return cleared[field] if field in cleared else found[field]

    out: dict[str, Any] = {}
    if map_ or unmap:
        put = dict(edits.split_pair(p, "--map") for p in map_ or [])
        out["symbol_map"] = edits.edit_mapping(start("symbol_map"), put, unmap or [], "symbol map", "--unmap")
    if pip or unpip:
        out["pip_sizes"] = edits.edit_mapping(start("pip_sizes"), edits.pip_sizes(pip or []), unpip or [],
                                              "pip sizes", "--unpip")
    if allow or disallow:
        out["allowed_pairs"] = edits.edit_list(start("allowed_pairs"), edits.symbols(allow or []),
                                               edits.symbols(disallow or []), "allowed pairs", "--disallow")
    if dialect or no_dialect:
        out["dialects"] = edits.edit_list(start("dialects"), [str(d) for d in dialect or []],
                                          [str(d) for d in no_dialect or []], "enabled dialects", "--no-dialect")
    return out


def _accounts(current: list[dict[str, Any]], put: list[str], drop: list[str]) -> list[dict[str, Any]]:
    """The strategy's further accounts after ``--account AGENT=MULTIPLIER`` and ``--unaccount AGENT``.
    :raises edits.EditError: a malformed pair, a multiplier that is not a number, or an agent not listed."""
    accounts = {a["agent_id"]: float(a.get("volume_multiplier", 1.0)) for a in current}
    for agent in drop:
        if agent not in accounts:
            raise edits.EditError(f"--unaccount {agent}: the strategy does not trade on that agent.")
        del accounts[agent]
    for pair in put:
        agent, raw = edits.split_pair(pair, "--account")
        try:
            accounts[agent] = float(raw)
        except ValueError:
            raise edits.EditError(
                f"--account {pair}: the volume multiplier must be a number, e.g. {agent}=0.5."
            ) from None
    return [{"agent_id": a, "volume_multiplier": m} for a, m in accounts.items()]
