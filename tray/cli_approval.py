"""``tvbridge signals approve ID`` and ``tvbridge signals reject ID``: the trader's decision on a signal awaiting
approval (a strategy with ``require_approval``), through the running instance's admin API."""

from __future__ import annotations

from typing import Annotated

import typer

from tray.cli_common import DataDir
from tray.cli_remote import Remote
from tray.cli_signals import signals_app

SignalId = Annotated[int, typer.Argument(min=1, help="The signal's id (see `tvbridge signals --status "
                                         "awaiting_approval`).")]


@signals_app.command()
def approve(signal_id: SignalId, data_dir: DataDir = None) -> None:
    """Approve a signal awaiting approval: it goes to its agent(s) and is traded once. Exits 1 with a sentence when
    it no longer awaits approval (already approved, rejected or expired)."""
    with Remote(data_dir) as remote:
        signal = remote.call("POST", f"/api/v1/signals/{signal_id}/approve", json={"via": "cli"})
    typer.echo(f"Signal #{signal['id']} approved: it is with its agent now (`tvbridge signals` shows its outcome).")


@signals_app.command()
def reject(
    signal_id: SignalId,
    reason: Annotated[
        str | None, typer.Option(help="Why (at most 200 characters), kept in the signal's sentence.")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Reject a signal awaiting approval: nothing is sent. Exits 1 with a sentence when it no longer awaits
    approval."""
    body = {"via": "cli", **({"reason": reason} if reason else {})}
    with Remote(data_dir) as remote:
        signal = remote.call("POST", f"/api/v1/signals/{signal_id}/reject", json=body)
    typer.echo(f"Signal #{signal['id']} rejected: {signal['error_message']}")
