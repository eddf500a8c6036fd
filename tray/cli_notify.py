"""``tvbridge notify test|status|events``: notifications to Telegram, Discord, e-mail, ntfy ... of a running instance.

The targets are apprise URLs kept in the keyring (`tvbridge secret set notify-urls`, or the dashboard's Settings
page); these commands ask the running tvbridge (admin API ``/api/v1/notifications``). Exit codes: see
:mod:`tray.cli_remote`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from tray.cli_common import DataDir, app
from tray.cli_remote import EXIT_REFUSED, Remote, fail

notify_app = typer.Typer(help="Notifications to your phone or e-mail (Telegram, Discord, ntfy ...).",
                         no_args_is_help=True)
app.add_typer(notify_app, name="notify")


@notify_app.command("test")
def notify_test(data_dir: DataDir = None) -> None:
    """Send a test notification to every target now; exit code 0 only if all of them took it."""
    with Remote(data_dir, timeout=60.0) as remote:
        report = remote.call("POST", "/api/v1/notifications/test")
    typer.echo(report["message"])
    if report["failed"] or not report["sent"]:
        raise typer.Exit(EXIT_REFUSED)


@notify_app.command("status")
def notify_status(data_dir: DataDir = None) -> None:
    """The targets (by service, never their URLs) and the events sent."""
    with Remote(data_dir) as remote:
        found = remote.call("GET", "/api/v1/notifications")
    targets = found["targets"]
    if targets:
        where = f" (from the {found['source']})" if found["source"] else ""
        typer.echo(f"targets{where}:")
        for t in targets:
            typer.echo(f"  {t['position']}: {t['service']}" + ("" if t["known"] else " - fix or replace this URL"))
    else:
        typer.echo("targets: none. Add them with `tvbridge secret set notify-urls` or on the dashboard's "
                   "Settings page.")
    if found["problem"]:
        typer.echo(found["problem"])
    for e in found["events"]:
        typer.echo(f"  [{'x' if e['chosen'] else ' '}] {e['kind']}: {e['words']}")


@notify_app.command("events")
def notify_events(
    events: Annotated[str, typer.Argument(help="Comma-separated: executed, failed, rejected, expired, security, "
                                               "tunnel (empty string: none).")],
    data_dir: DataDir = None,
) -> None:
    """Choose the events sent to the targets (the others are not)."""
    chosen = [e.strip() for e in events.split(",") if e.strip()]
    with Remote(data_dir) as remote:
        found = remote.call("PATCH", "/api/v1/notifications", json={"events": chosen}, labels={"events": "EVENTS"})
    sent = [e["kind"] for e in found["events"] if e["chosen"]]
    typer.echo(f"Sent from now on: {', '.join(sent) if sent else 'nothing'}.")
    if not found["targets"]:
        fail("No targets are set yet: add them with `tvbridge secret set notify-urls`.", EXIT_REFUSED)
