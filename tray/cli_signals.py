"""``tvbridge signals``: the signal log of a running instance as a table, optionally followed live.

One row per signal: id, when it was received (local time), strategy, the order it asked for, its status, and
the detail (fill price and ticket, or the sentence saying why it did not trade). ``--follow`` keeps polling
and prints each new signal, and each status change, exactly once (:mod:`tray.signal_follow`).
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Annotated, Any, Literal

import typer

from tray.cli_common import DataDir, app
from tray.cli_remote import Remote
from tray.signal_follow import SignalFollower

Status = Literal[
    "pending", "awaiting_approval", "executed", "rejected", "discarded", "duplicate", "expired", "failed"
]

_COLUMNS = ((">6", "ID"), ("<14", "RECEIVED"), ("<18", "STRATEGY"), ("<22", "ORDER"), ("<9", "STATUS"))



#: ``tvbridge signals`` lists; its subcommands (``approve``, ``reject``: tray/cli_approval.py) act on one signal.
signals_app = typer.Typer(add_completion=False)
app.add_typer(signals_app, name="signals")


@signals_app.callback(invoke_without_command=True)
def signals(
    ctx: typer.Context,
    strategy: Annotated[str | None, typer.Option(metavar="ID|NAME", help="Only this strategy's signals.")] = None,
    status: Annotated[Status | None, typer.Option(help="Only signals with this status (with --follow: as they "
                                                  "reach it).")] = None,
    limit: Annotated[int, typer.Option(min=0, max=500, help="How many of the latest signals to show first.")] = 20,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new signals and status changes "
                                         "until Ctrl+C.")] = False,
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between two looks, with --follow.")] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per signal (the admin API's shape) "
                                          "instead of the table.")] = False,
    data_dir: DataDir = None,
) -> None:
    """The latest signals, oldest first, with why each did or did not trade (``approve``/``reject ID``: decide on a
    signal awaiting approval)."""
    from tray.cli_strategy import find_strategy

    if ctx.invoked_subcommand is not None:
        return

    with Remote(data_dir) as remote:
        strategy_id = find_strategy(remote, strategy)["strategy_id"] if strategy else None
        follower = SignalFollower(lambda path, params: remote.call("GET", path, params=params, missing_ok=True),
                                  strategy_id)
        if follow:
            follower.begin()
        history = _latest(remote, limit, strategy_id, status)
        if follow:
            history = [s for s in history if s["id"] <= follower.last_id]
            follower.shown(history)
        printer = _Printer(as_json)
        for s in history:
            printer.row(s)
        if not follow:
            if not history and not as_json:
                typer.echo("No signals match." if strategy or status else "No signals yet.")
            return
        if not as_json:
            typer.echo("Following: new signals and status changes appear below (Ctrl+C to stop).")
        try:
            while True:
                for s in follower.poll():
                    if status is None or s["status"] == status:
                        printer.row(s)
                time.sleep(interval)
        except KeyboardInterrupt:
            return


def _latest(remote: Remote, limit: int, strategy_id: int | None, status: str | None) -> list[dict[str, Any]]:
    """The ``limit`` newest signals matching the filters, oldest first."""
    if limit == 0:
        return []
    params: dict[str, Any] = {"limit": limit}
    if strategy_id is not None:
        params["strategy_id"] = strategy_id
    if status is not None:
        params["status"] = status
    return list(reversed(remote.call("GET", "/api/v1/signals", params=params)))


class _Printer:
    """Prints rows under one header (printed before the first row), or JSON lines."""

    def __init__(self, as_json: bool) -> None:
        self._as_json = as_json
        self._header_done = False

    def row(self, s: dict[str, Any]) -> None:
        if self._as_json:
            typer.echo(json.dumps(s, default=str))
            return
        if not self._header_done:
            typer.echo(_line([title for _, title in _COLUMNS], "DETAIL"))
            self._header_done = True
        typer.echo(_line([f"#{s['id']}", _when(s.get("created_at")), s.get("strategy_name") or
                          f"[{s['strategy_id']}]", _order(s), s["status"]], _detail(s)))


def _line(cells: list[str], detail: str) -> str:
    parts = []
    for (spec, _), cell in zip(_COLUMNS, cells, strict=True):
        width = int(spec[1:])
        text = cell if len(cell) <= width else cell[: width - 3] + "..."
        parts.append(format(text, spec))
    return "  ".join(parts) + "  " + detail


def _when(iso: str | None) -> str:
    """Local time of an ISO timestamp, ``MM-DD HH:MM:SS``."""
    if not iso:
        return "-"
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%m-%d %H:%M:%S")
    except ValueError:
        return iso


def _order(s: dict[str, Any]) -> str:
    """``buy 0.05 XAUUSD``; the raw message's start when it was not understood."""
    if not s.get("action") and not s.get("symbol"):
        raw = " ".join(str(s.get("raw_payload") or "").split())
        return f'"{raw[:18]}"' if raw else "(empty message)"
    volume = s.get("volume")
    parts = [s.get("action") or "?", f"{volume:g}" if isinstance(volume, int | float) else "", s.get("symbol") or ""]
    return " ".join(p for p in parts if p)


def _detail(s: dict[str, Any]) -> str:
    if s["status"] == "pending":
        return "waiting for the agent"
    if s["status"] == "awaiting_approval":
        return f"awaiting your approval: tvbridge signals approve {s['id']} (or reject {s['id']})"
    if s["status"] == "executed":
        fill = f"filled at {s['fill_price']:g}" if isinstance(s.get("fill_price"), int | float) else "done"
        ticket = f", ticket {s['order_ticket']}" if s.get("order_ticket") else ""
        note = f" ({s['error_message']})" if s.get("error_message") else ""
        return fill + ticket + note
    return str(s.get("error_message") or "")
