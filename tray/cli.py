"""The ``tvbridge`` command line (typer).

``tvbridge`` alone starts the tray app where a desktop tray exists, else behaves like ``tvbridge run``;
``tvbridge run`` is the whole app without the tray icon (Linux, a VPS, CI); ``tvbridge agent`` runs one agent
alone; ``tvbridge strategy ...``, ``signals``, ``send``, ``pause`` and ``resume`` talk to a running instance's
admin API;
``tvbridge quit`` stops a running instance; ``tvbridge doctor`` and ``tvbridge self-test`` check the
installation; ``tvbridge config ...`` edits settings.toml and ``tvbridge secret ...`` the keyring.

:func:`main` first repairs missing standard streams: a windowed (``console=False``) build starts with
``sys.stdout``/``sys.stderr`` set to None, and anything that prints would crash.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from tray.cli_common import DataDir, app, cli_settings, version
from tray.streams import ensure_std_streams


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"tvbridge {version()}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def default(
    ctx: typer.Context,
    data_dir: DataDir = None,
    show_version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                               help="Print the version and exit.")] = False,
    autostart: Annotated[bool, typer.Option("--autostart", help="Started at login: start quietly.")] = False,
    no_tray: Annotated[bool, typer.Option("--no-tray", help="Never show the tray icon (same as `run`).")] = False,
) -> None:
    """With no command: start tvbridge (the tray app where a desktop is available, else like ``run``)."""
    if ctx.invoked_subcommand is not None:
        return
    if not no_tray:
        from tray.app import tray_available

        available, why = tray_available()
        if available:
            raise typer.Exit(_run_tray(data_dir, quiet=autostart))
        typer.echo(f"{why}: running without the tray icon, like `tvbridge run`.")
    ctx.invoke(run, data_dir=data_dir)


def _run_tray(data_dir: Path | None, *, quiet: bool) -> int:
    from tray.app import run_tray
    from tray.compose import build_runtime
    from tray.logs import setup_logging

    settings, paths = cli_settings(data_dir)
    paths.ensure()
    setup_logging(paths.log_dir, "tvbridge", settings.log_level)
    return run_tray(lambda: build_runtime(settings, paths), paths, quiet=quiet, data_dir_arg=data_dir)


@app.command()
def run(
    data_dir: DataDir = None,
    public_port: Annotated[int | None, typer.Option(help="Port of the public (webhook) listener.")] = None,
    admin_port: Annotated[int | None, typer.Option(help="Port of the admin listener.")] = None,
    broker: Annotated[str | None, typer.Option(help="sim (paper trading, default) or mt5.")] = None,
    no_agent: Annotated[bool, typer.Option("--no-agent", help="Do not start an agent process.")] = False,
) -> None:
    """Run without the tray icon (listeners, tunnel if an authtoken is set, agent) until Ctrl+C or `quit`."""
    from tray.compose import build_runtime
    from tray.logs import setup_logging
    from tray.single_instance import ALREADY_RUNNING, QuitWatcher, SingleInstance

    settings, paths = cli_settings(data_dir, public_port=public_port, admin_port=admin_port, broker=broker)
    paths.ensure()
    lock = SingleInstance(paths)
    if lock.already_running:
        typer.echo(ALREADY_RUNNING, err=True)
        raise typer.Exit(1)
    try:
        log_file = setup_logging(paths.log_dir, "tvbridge", settings.log_level)
        runtime = build_runtime(settings, paths, spawn_agent=not no_agent)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        try:
            runtime.start()
        except Exception as exc:
            runtime.stop()
            typer.echo(f"tvbridge could not start: {exc}", err=True)
            raise typer.Exit(1) from exc
        lock.write_info(admin_url=runtime.admin_url, mode="run")
        watcher = QuitWatcher(paths, stop.set, since=lock.acquired_at).start()
        _print_banner(runtime, paths, log_file)
        while not stop.wait(0.5):  # a timed wait: signal handlers run promptly on every platform
            pass
        watcher.stop()
        typer.echo("stopping ...")
        runtime.stop()
        typer.echo("stopped.")
    finally:
        lock.release()


def _print_banner(runtime: Any, paths: Any, log_file: Path) -> None:
    typer.echo(f"tvbridge is running ({runtime.settings.broker} broker).")
    typer.echo(f"  admin API:   {runtime.admin_url}/api/v1  (token in {paths.data_dir / 'admin-token'})")
    typer.echo(f"  data folder: {paths.data_dir}")
    typer.echo(f"  log file:    {log_file}")
    tunnel = getattr(runtime, "tunnel", None)
    if tunnel is None:
        typer.echo("  tunnel:      off (no ngrok authtoken; see `tvbridge secret set ngrok-authtoken`)")
    else:
        typer.echo(f"  tunnel:      starting (forwarding to {tunnel.upstream_url}); see `tvbridge doctor`")
    typer.echo("  webhook URLs (paste into TradingView's alert dialog):")
    for strategy, _count in runtime.ctx.strategies.list():
        state = "" if strategy.is_enabled else " (disabled)"
        typer.echo(f"    [{strategy.id}] {strategy.name}{state}: {runtime.ctx.strategies.webhook_url(strategy)}")
    typer.echo(f"  dashboard:   {runtime.sign_in_url()}")
    typer.echo("               (a sign-in link: it works once, within a minute; `tvbridge dashboard` opens a new one)")
    typer.echo("Press Ctrl+C to stop.")


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []},
)
def agent(ctx: typer.Context) -> None:
    """Run one agent (the same as ``python -m agent``; ``tvbridge agent --help`` lists its options)."""
    from agent.main import main as agent_main
    from tray.agent_setup import resolve

    raise typer.Exit(agent_main(list(ctx.args), resolve=resolve))


# -- talking to a running instance -----------------------------------------------------------------------


@app.command("quit")
def quit_(
    data_dir: DataDir = None,
    wait: Annotated[float, typer.Option(help="Seconds to wait for it to stop.")] = 30.0,
) -> None:
    """Stop the running tvbridge (tray or `run`) in order: agent, tunnel, listeners. Used by the uninstaller."""
    from tray.single_instance import is_running, request_quit

    _, paths = cli_settings(data_dir)
    paths.ensure()
    was_running = is_running(paths)
    if not request_quit(paths, wait=wait):
        typer.echo(f"tvbridge did not stop within {wait:g} s.", err=True)
        raise typer.Exit(1)
    _kill_orphaned_ngrok(data_dir)
    typer.echo("tvbridge stopped." if was_running else "tvbridge was not running.")


def _kill_orphaned_ngrok(data_dir: Path | None) -> None:
    """After tvbridge has stopped: kill an ngrok agent that a crashed tvbridge left behind (only ours)."""
    from tray.compose import resolve_ngrok_path, tunnel_config_dir
    from tray.tunnel_agent import kill_orphaned_agent

    settings, paths = cli_settings(data_dir)
    ngrok_path = resolve_ngrok_path(settings)
    config_dir = tunnel_config_dir(paths)
    if not ngrok_path or not config_dir.is_dir():
        return
    if kill_orphaned_agent(config_dir, ngrok_path, str(config_dir / "ngrok.yml")):
        typer.echo("Stopped an ngrok agent left behind by an earlier tvbridge.")


def main() -> None:
    """Console-script (and frozen exe) entry point."""
    ensure_std_streams()  # first: before anything logs, prints or starts uvicorn
    logging.captureWarnings(True)
    app(prog_name="tvbridge")


if __name__ == "__main__":  # pragma: no cover
    main()


# The other command groups register themselves on ``app`` when imported.
from tray import cli_notify, cli_remote, cli_setup, cli_signals, cli_strategy  # noqa: E402, F401
