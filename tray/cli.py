"""The ``tvbridge`` command line (typer).

``tvbridge run`` is the whole app without the tray icon (Linux, a VPS, CI); ``tvbridge agent`` runs one agent
alone; ``tvbridge strategy ...`` and ``tvbridge send`` talk to a running instance's admin API.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from tray.paths import resolve_paths
from tray.settings import Settings, load_settings

app = typer.Typer(add_completion=False, no_args_is_help=False, help="TradingView alerts to MetaTrader 5 orders.")
strategy_app = typer.Typer(help="Manage strategies of a running tvbridge.", no_args_is_help=True)
app.add_typer(strategy_app, name="strategy")

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Keep all data, settings and logs in this folder.")]


def _settings(data_dir: Path | None, **overrides: Any) -> tuple[Settings, Any]:
    paths = resolve_paths(data_dir)
    return load_settings(paths.config_file, **overrides), paths


@app.callback(invoke_without_command=True)
def default(ctx: typer.Context) -> None:
    """With no command: start tvbridge (the tray app where a desktop is available, else like ``run``)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(run)


@app.command()
def run(
    data_dir: DataDir = None,
    public_port: Annotated[int | None, typer.Option(help="Port of the public (webhook) listener.")] = None,
    admin_port: Annotated[int | None, typer.Option(help="Port of the admin listener.")] = None,
    broker: Annotated[str | None, typer.Option(help="sim (paper trading, default) or mt5.")] = None,
    no_agent: Annotated[bool, typer.Option("--no-agent", help="Do not start an agent process.")] = False,
) -> None:
    """Run the server and an agent until Ctrl+C or SIGTERM."""
    from tray.logs import setup_logging
    from tray.runtime import Runtime

    settings, paths = _settings(data_dir, public_port=public_port, admin_port=admin_port, broker=broker)
    paths.ensure()
    log_file = setup_logging(paths.log_dir, "tvbridge", settings.log_level)
    runtime = Runtime(settings, paths, spawn_agent=not no_agent)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        runtime.start()
    except Exception as exc:
        typer.echo(f"tvbridge could not start: {exc}", err=True)
        raise typer.Exit(1) from exc
    _print_banner(runtime, paths, log_file)
    stop.wait()
    typer.echo("stopping ...")
    runtime.stop()
    typer.echo("stopped.")


def _print_banner(runtime: Any, paths: Any, log_file: Path) -> None:
    typer.echo(f"tvbridge is running ({runtime.settings.broker} broker).")
    typer.echo(f"  admin API:   {runtime.admin_url}/api/v1  (token in {paths.data_dir / 'admin-token'})")
    typer.echo(f"  data folder: {paths.data_dir}")
    typer.echo(f"  log file:    {log_file}")
    typer.echo("  webhook URLs (paste into TradingView's alert dialog):")
    for strategy, _count in runtime.ctx.strategies.list():
        state = "" if strategy.is_enabled else " (disabled)"
        typer.echo(f"    [{strategy.id}] {strategy.name}{state}: {runtime.ctx.strategies.webhook_url(strategy)}")
    typer.echo("Press Ctrl+C to stop.")


@app.command()
def agent(
    admin_url: Annotated[str | None, typer.Option(help="Admin listener URL, e.g. http://127.0.0.1:8766")] = None,
    agent_id: Annotated[str | None, typer.Option(help="This agent's id (a strategy's broker connection).")] = None,
    data_dir: DataDir = None,
    broker: Annotated[str | None, typer.Option(help="sim or mt5.")] = None,
) -> None:
    """Run one agent: it executes the jobs of strategies whose broker connection is its id.

    The agent token is read from TVBRIDGE_AGENT_TOKEN, else from the data folder's agent-token file.
    """
    from agent.broker import BrokerConfig, BrokerUnavailable, open_terminal
    from agent.client import ServerClient
    from agent.mt5.adapter import TerminalConfig
    from agent.worker import AgentWorker
    from tray.logs import setup_logging

    settings, paths = _settings(data_dir, broker=broker, agent_id=agent_id)
    paths.ensure()
    setup_logging(paths.log_dir, f"agent-{settings.agent_id}", settings.log_level)
    token = os.environ.get("TVBRIDGE_AGENT_TOKEN") or _read_token(paths.data_dir / "agent-token")
    config = BrokerConfig(
        kind=settings.broker,
        state_dir=paths.data_dir / "simulator" / settings.agent_id,
        sim_margin_mode=settings.sim_margin_mode,
        sim_balance=settings.sim_balance,
        sim_symbol_suffix=settings.sim_symbol_suffix,
        terminal=TerminalConfig(
            path=settings.mt5_path,
            login=settings.mt5_login,
            server=settings.mt5_server,
            password=_mt5_password(settings.mt5_login),
        ),
    )
    try:
        terminal = open_terminal(config)
    except BrokerUnavailable as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    client = ServerClient(admin_url or settings.admin_url, token, settings.agent_id)
    worker = AgentWorker(client, terminal, broker_name=settings.broker)
    _install_agent_signals(worker)
    try:
        worker.run()
    except SystemExit:
        pass
    finally:
        client.close()


def _install_agent_signals(worker: Any) -> None:
    """SIGTERM/SIGINT: finish a trade in flight, but leave an idle long-poll at once."""

    def handler(*_: Any) -> None:
        worker.stop()
        if worker.idle:
            raise SystemExit(0)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def _mt5_password(login: int | None) -> str | None:
    if login is None:
        return None
    try:
        import keyring

        return keyring.get_password("tvbridge/mt5", str(login))
    except Exception:  # no keyring backend (headless Linux): the terminal's saved login is used instead
        return None


def _read_token(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except OSError as exc:
        typer.echo(f"No token at {path}: start tvbridge once, or set the token in the environment.", err=True)
        raise typer.Exit(2) from exc


# -- talking to a running instance -----------------------------------------------------------------------


def admin_client(data_dir: Path | None) -> httpx.Client:
    """An httpx client for the running instance's admin API (URL from settings, token from the data folder)."""
    settings, paths = _settings(data_dir)
    token = _read_token(paths.data_dir / "admin-token")
    return httpx.Client(base_url=settings.admin_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def _call(data_dir: Path | None, method: str, url: str, **kwargs: Any) -> Any:
    try:
        with admin_client(data_dir) as http:
            resp = http.request(method, url, **kwargs)
    except httpx.TransportError as exc:
        typer.echo(f"tvbridge is not running (or not on this admin port): {exc}", err=True)
        raise typer.Exit(1) from exc
    if resp.status_code >= 400:
        typer.echo(f"Error {resp.status_code}: {resp.text}", err=True)
        raise typer.Exit(1)
    return resp.json() if resp.content else None


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
                f"  {order['type']} {order['volume']} {order['symbol']} @ {order['price']} ticket {order['ticket']}"
            )


def _wait_final(data_dir: Path | None, signal_id: int, timeout: float = 10.0) -> dict[str, Any]:
    waited = 0.0
    while True:
        sig: dict[str, Any] = _call(data_dir, "GET", f"/api/v1/signals/{signal_id}")
        if sig["status"] != "pending" or waited >= timeout:
            return sig
        threading.Event().wait(0.1)
        waited += 0.1


def main() -> None:
    """Console-script entry point."""
    logging.captureWarnings(True)
    app(prog_name="tvbridge")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
