"""``tvbridge strategy ...`` and ``tvbridge send``: commands that talk to a running instance's admin API.

The running instance is found through ``runtime.json`` in the data folder (its real ports, even when it was
started on port 0), else the configured admin port.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from tray.cli_common import DataDir, app, cli_settings, read_token

strategy_app = typer.Typer(help="Manage strategies of a running tvbridge.", no_args_is_help=True)
app.add_typer(strategy_app, name="strategy")


def admin_client(data_dir: Path | None) -> httpx.Client:
    """An httpx client for the running instance's admin API (URL from settings, token from the data folder)."""
    settings, paths = cli_settings(data_dir)
    token = read_token(paths.data_dir / "admin-token")
    return httpx.Client(base_url=_running_admin_url(paths) or settings.admin_url,
                        headers={"Authorization": f"Bearer {token}"}, timeout=10)


def _running_admin_url(paths: Any) -> str | None:
    """The admin URL a running instance wrote in ``runtime.json`` (right even when it uses port 0)."""

    from tray.runtime import RUNTIME_FILE

    try:
        doc = json.loads((paths.data_dir / RUNTIME_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    url = doc.get("admin_url") if isinstance(doc, dict) else None
    return str(url) if url else None


def _call(data_dir: Path | None, method: str, url: str, **kwargs: Any) -> Any:
    try:
        with admin_client(data_dir) as http:
            resp = http.request(method, url, **kwargs)
    except httpx.TransportError as exc:
        typer.echo(f"tvbridge is not running (or not on this admin port): {exc}", err=True)
        raise typer.Exit(1) from exc
    if resp.status_code >= 400:
        typer.echo(f"Error {resp.status_code}: {_sentence(resp)}", err=True)
        raise typer.Exit(1)
    return resp.json() if resp.content else None


def _sentence(resp: httpx.Response) -> str:
    """The sentence of an error answer: ``message`` (422: every refused field) or a string ``detail``."""
    try:
        body = resp.json()
    except ValueError:
        return resp.text
    if isinstance(body, dict):
        for key in ("message", "detail"):
            if isinstance(body.get(key), str):
                return str(body[key])
    return resp.text


@strategy_app.command("list")
def strategy_list(data_dir: DataDir = None) -> None:
    """List strategies with their webhook URLs."""
    for s in _call(data_dir, "GET", "/api/v1/strategies"):
        state = "enabled" if s["is_enabled"] else "disabled"
        typer.echo(f"[{s['strategy_id']}] {s['name']} ({state}, {s['signal_count']} signals) {s['webhook_url']}")


@strategy_app.command("create")
def strategy_create(
    name: str,
    default_volume: Annotated[float | None, typer.Option(help="Lots when the alert names none.")] = None,
    allowed_pairs: Annotated[str | None, typer.Option(help="Comma-separated symbols; empty allows all.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Create a strategy and print its webhook URL."""
    body: dict[str, Any] = {"name": name}
    if default_volume is not None:
        body["default_volume"] = default_volume
    if allowed_pairs:
        body["allowed_pairs"] = [p.strip() for p in allowed_pairs.split(",") if p.strip()]
    s = _call(data_dir, "POST", "/api/v1/strategies", json=body)
    typer.echo(f"[{s['strategy_id']}] {s['name']}: {s['webhook_url']}")


@strategy_app.command("enable")
def strategy_enable(strategy_id: int, data_dir: DataDir = None) -> None:
    """Enable a strategy."""
    s = _call(data_dir, "PATCH", f"/api/v1/strategies/{strategy_id}", json={"is_enabled": True})
    typer.echo(f"[{s['strategy_id']}] {s['name']} enabled")


@strategy_app.command("disable")
def strategy_disable(strategy_id: int, data_dir: DataDir = None) -> None:
    """Disable a strategy (its alerts are logged as discarded)."""
    s = _call(data_dir, "PATCH", f"/api/v1/strategies/{strategy_id}", json={"is_enabled": False})
    typer.echo(f"[{s['strategy_id']}] {s['name']} disabled")


@app.command()
def send(
    strategy_id: Annotated[int, typer.Argument(help="The strategy to send to (see `tvbridge strategy list`).")],
    message: Annotated[str | None, typer.Argument(help="The alert message, as TradingView would send it.")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Read the message from this file.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Post a test alert to a strategy's webhook URL, exactly as TradingView would, and print the outcome."""
    if (message is None) == (file is None):
        typer.echo("Give the alert message as an argument or with --file.", err=True)
        raise typer.Exit(2)
    body = file.read_bytes() if file else (message or "").encode()
    strategy = _call(data_dir, "GET", f"/api/v1/strategies/{strategy_id}")
    try:
        resp = httpx.post(strategy["webhook_url"], content=body, headers={"Content-Type": "text/plain"}, timeout=10)
    except httpx.TransportError as exc:
        typer.echo(f"Could not reach the webhook URL: {exc}", err=True)
        raise typer.Exit(1) from exc
    answer = resp.json()
    signal_id = answer.get("signal_id")
    typer.echo(f"HTTP {resp.status_code}: signal #{signal_id} {answer.get('status')}")
    if signal_id is not None:
        final = _wait_final(data_dir, signal_id)
        typer.echo(
            f"outcome: {final['status']}" + (f" - {final['error_message']}" if final.get("error_message") else "")
        )
        for order in final.get("orders", []):
            typer.echo(
                f"  {order['type']} {order['volume']} {order['symbol']} @ {order['price']} "
                f"ticket {order['order_ticket']}"
            )


def _wait_final(data_dir: Path | None, signal_id: int, timeout: float = 10.0) -> dict[str, Any]:
    waited = 0.0
    while True:
        sig: dict[str, Any] = _call(data_dir, "GET", f"/api/v1/signals/{signal_id}")
        if sig["status"] != "pending" or waited >= timeout:
            return sig
        threading.Event().wait(0.1)
        waited += 0.1


# -- stop, check, test ----------------------------------------------------------------------------------
