"""The ``tvbridge`` command line (typer).

``tvbridge`` alone starts the tray app where a desktop tray exists, else behaves like ``tvbridge run``;
``tvbridge run`` is the whole app without the tray icon (Linux, a VPS, CI); ``tvbridge agent`` runs one agent
alone; ``tvbridge strategy ...`` and ``tvbridge send`` talk to a running instance's admin API;
``tvbridge quit`` stops a running instance; ``tvbridge doctor`` and ``tvbridge self-test`` check the
installation; ``tvbridge config ...`` edits settings.toml and ``tvbridge secret ...`` the keyring.

:func:`main` first repairs missing standard streams: a windowed (``console=False``) build starts with
``sys.stdout``/``sys.stderr`` set to None, and anything that prints would crash.
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
config_app = typer.Typer(help="Show or change settings (settings.toml). Secrets: see `tvbridge secret`.",
                         no_args_is_help=True)
app.add_typer(config_app, name="config")
secret_app = typer.Typer(help="Store secrets in the system keyring (Windows Credential Manager).", no_args_is_help=True)
app.add_typer(secret_app, name="secret")

#: True when :func:`main` found stdout/stderr missing (windowed build) and installed the file shim.
STREAMS_SHIMMED = False

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Keep all data, settings and logs in this folder.")]


def _settings(data_dir: Path | None, **overrides: Any) -> tuple[Settings, Any]:
    paths = resolve_paths(data_dir)
    return load_settings(paths.config_file, **overrides), paths


def version() -> str:
    """The installed tvbridge version (from the package metadata, bundled in the frozen build too)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("tvbridge")
    except PackageNotFoundError:
        return "unknown"


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

    settings, paths = _settings(data_dir)
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

    settings, paths = _settings(data_dir, public_port=public_port, admin_port=admin_port, broker=broker)
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
    typer.echo("Press Ctrl+C to stop.")


@app.command()
def agent(
    admin_url: Annotated[str | None, typer.Option(help="Admin listener URL, e.g. http://127.0.0.1:8766")] = None,
    agent_id: Annotated[str | None, typer.Option(help="This agent's id (a strategy's broker connection).")] = None,
    data_dir: DataDir = None,
    broker: Annotated[str | None, typer.Option(help="sim or mt5.")] = None,
    lifeline: Annotated[
        bool, typer.Option("--lifeline", hidden=True, help="Exit when stdin closes (set by the app that starts us).")
    ] = False,
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
        sim_latency_ms=settings.sim_latency_ms,
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
    if lifeline:
        threading.Thread(target=_watch_lifeline, args=(worker,), name="lifeline", daemon=True).start()
    try:
        worker.run()
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        client.close()


def _install_agent_signals(worker: Any) -> None:
    """SIGTERM/SIGINT: finish a trade in flight, but leave an idle long-poll at once."""

    def handler(*_: Any) -> None:
        worker.stop()
        with worker.idle_lock:
            if worker.idle:
                raise SystemExit(0)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def _watch_lifeline(worker: Any) -> None:
    """Block on stdin until EOF: the parent closed it (a stop request) or died (the OS closed it). Then stop: a
    job in flight is finished, an idle long-poll is cut at once (on every platform, unlike a signal)."""
    while sys.stdin is not None and sys.stdin.buffer.read(65536):
        pass
    logging.getLogger("agent").info("lifeline closed: the app is stopping or gone; finishing")
    worker.interrupt()


def _mt5_password(login: int | None) -> str | None:
    from tray.secrets import get_mt5_password

    return get_mt5_password(login)  # None without a keyring: the terminal's saved login is used instead


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
    return httpx.Client(base_url=_running_admin_url(paths) or settings.admin_url,
                        headers={"Authorization": f"Bearer {token}"}, timeout=10)


def _running_admin_url(paths: Any) -> str | None:
    """The admin URL a running instance wrote in ``runtime.json`` (right even when it uses port 0)."""
    import json

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


# -- stop, check, test ----------------------------------------------------------------------------------


@app.command("quit")
def quit_(
    data_dir: DataDir = None,
    wait: Annotated[float, typer.Option(help="Seconds to wait for it to stop.")] = 30.0,
) -> None:
    """Stop the running tvbridge (tray or `run`) in order: agent, tunnel, listeners. Used by the uninstaller."""
    from tray.single_instance import is_running, request_quit

    _, paths = _settings(data_dir)
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

    settings, paths = _settings(data_dir)
    ngrok_path = resolve_ngrok_path(settings)
    config_dir = tunnel_config_dir(paths)
    if not ngrok_path or not config_dir.is_dir():
        return
    if kill_orphaned_agent(config_dir, ngrok_path, str(config_dir / "ngrok.yml")):
        typer.echo("Stopped an ngrok agent left behind by an earlier tvbridge.")


@app.command()
def doctor(data_dir: DataDir = None) -> None:
    """Check MT5, AutoTrading, ports, the tunnel and the data folder; exit code 0 when all is well."""
    from tray.doctor import exit_code, format_report, run_checks

    settings, paths = _settings(data_dir)
    checks = run_checks(settings, paths)
    typer.echo(format_report(checks))
    raise typer.Exit(exit_code(checks))


@app.command("self-test")
def self_test(
    report: Annotated[Path | None, typer.Option(help="Also write the result as JSON to this file.")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the test trade.")] = 60.0,
    keep: Annotated[bool, typer.Option("--keep", help="Keep the temporary data folder.")] = False,
) -> None:
    """Trade one test alert end to end on the simulator in a temporary folder; exit code 0 when executed."""
    from tray.selftest import report_json, run_selftest

    result = run_selftest(timeout=timeout, keep=keep, streams_shimmed=STREAMS_SHIMMED)
    for step in result.steps:
        typer.echo(f"  {step}")
    for problem in result.problems:
        typer.echo(f"  PROBLEM: {problem}")
    typer.echo(f"self-test {'passed' if result.ok else 'FAILED'} in {result.seconds:.1f} s")
    if report is not None:
        report.write_text(report_json(result), encoding="utf-8")
    raise typer.Exit(0 if result.ok else 1)


# -- settings and secrets --------------------------------------------------------------------------------


@config_app.command("show")
def config_show(data_dir: DataDir = None) -> None:
    """Every setting with its value and where it comes from (file, environment or default)."""
    from tray.config_file import ConfigError, show

    try:
        settings, paths = _settings(data_dir)
        typer.echo(f"# {paths.config_file}")
        for item in show(paths.config_file, settings):
            value = "(not set)" if item.value is None else item.value
            typer.echo(f"{item.key} = {value}  [{item.source}]")
    except (ConfigError, ValueError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc


@config_app.command("path")
def config_path(data_dir: DataDir = None) -> None:
    """Print where settings.toml is."""
    typer.echo(str(resolve_paths(data_dir).config_file))


@config_app.command("set")
def config_set(key: str, value: str, data_dir: DataDir = None) -> None:
    """Change a setting, e.g. `tvbridge config set public_port 8775` (restart tvbridge to apply)."""
    from tray.config_file import ConfigError, set_value

    paths = resolve_paths(data_dir)
    try:
        stored = set_value(paths.config_file, key, value)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    shown = "back to its default" if stored is None else f"= {stored!r}"
    typer.echo(f"{key} {shown} in {paths.config_file}. Restart tvbridge to apply it.")


@config_app.command("unset")
def config_unset(key: str, data_dir: DataDir = None) -> None:
    """Remove a setting from settings.toml (back to its default)."""
    from tray.config_file import ConfigError, unset_value

    paths = resolve_paths(data_dir)
    try:
        removed = unset_value(paths.config_file, key)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"{key} {'removed' if removed else 'was not set'}; it uses its default.")


SECRET_KINDS = ("ngrok-authtoken", "mt5-password")


def _secret_kind(kind: str) -> str:
    if kind not in SECRET_KINDS:
        typer.echo(f"Unknown secret {kind!r}: use one of {', '.join(SECRET_KINDS)}.", err=True)
        raise typer.Exit(2)
    return kind


@secret_app.command("set")
def secret_set(
    kind: Annotated[str, typer.Argument(help="ngrok-authtoken or mt5-password")],
    login: Annotated[int | None, typer.Option(help="The MT5 account number (for mt5-password).")] = None,
    stdin: Annotated[bool, typer.Option("--stdin", help="Read the secret from standard input.")] = False,
) -> None:
    """Save a secret in the keyring. It is asked for without echo (or read with --stdin), never printed."""
    from tray import secrets

    _secret_kind(kind)
    if kind == "mt5-password" and login is None:
        typer.echo("Give the MT5 account number: --login 12345678", err=True)
        raise typer.Exit(2)
    prompt = "ngrok authtoken" if kind == "ngrok-authtoken" else f"Password of MT5 account {login}"
    value = sys.stdin.readline().strip() if stdin else typer.prompt(prompt, hide_input=True)
    try:
        if kind == "ngrok-authtoken":
            secrets.set_ngrok_authtoken(value)
        else:
            assert login is not None
            secrets.set_mt5_password(login, value)
    except (secrets.KeyringUnavailable, ValueError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Saved the {prompt.lower() if kind == 'ngrok-authtoken' else 'MT5 password'} in the "
               f"{secrets.backend_name()} keyring. Restart tvbridge to use it.")


@secret_app.command("delete")
def secret_delete(
    kind: Annotated[str, typer.Argument(help="ngrok-authtoken or mt5-password")],
    login: Annotated[int | None, typer.Option(help="The MT5 account number (for mt5-password).")] = None,
) -> None:
    """Remove a secret from the keyring."""
    from tray import secrets

    _secret_kind(kind)
    try:
        if kind == "ngrok-authtoken":
            removed = secrets.delete_ngrok_authtoken()
        else:
            if login is None:
                typer.echo("Give the MT5 account number: --login 12345678", err=True)
                raise typer.Exit(2)
            removed = secrets.delete_mt5_password(login)
    except secrets.KeyringUnavailable as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo("Deleted." if removed else "There was nothing to delete.")


@secret_app.command("status")
def secret_status(data_dir: DataDir = None) -> None:
    """Which secrets are set and where (never their values)."""
    from tray import secrets

    settings, _ = _settings(data_dir)
    if secrets.keyring_available():
        typer.echo(f"keyring: {secrets.backend_name()}")
    else:
        typer.echo(f"keyring: none. {secrets.NO_KEYRING}")
    lookup = secrets.find_ngrok_authtoken()
    typer.echo(f"ngrok authtoken: {'set, from the ' + str(lookup.source) if lookup.value else 'not set'}")
    if settings.mt5_login is not None:
        saved = secrets.get_mt5_password(settings.mt5_login) is not None
        typer.echo(f"MT5 password for {settings.mt5_login}: {'set' if saved else 'not set'}")


# -- entry point -----------------------------------------------------------------------------------------


def ensure_std_streams() -> bool:
    """Give a process without stdout/stderr (windowed build, or fds 1/2 closed) a file to write to.

    The file is ``stdio.log`` in the default log folder (``os.devnull`` if that fails). On POSIX the closed
    descriptors 1 and 2 are re-pointed at it too, so a later ``open()`` (the SQLite database!) can never get
    descriptor 2 and receive stray writes meant for stderr. Returns True when a shim was installed.
    """
    global STREAMS_SHIMMED
    if sys.stdout is not None and sys.stderr is not None:
        return False
    try:
        import platformdirs

        log_dir = Path(platformdirs.user_log_dir("tvbridge", appauthor=False))
        log_dir.mkdir(parents=True, exist_ok=True)
        stream = (log_dir / "stdio.log").open("a", buffering=1, encoding="utf-8", errors="replace")
    except OSError:
        stream = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    if os.name == "posix":
        for fd in (1, 2):
            try:
                os.fstat(fd)
            except OSError:
                os.dup2(stream.fileno(), fd)
    sys.stdout = sys.stdout or stream
    sys.stderr = sys.stderr or stream
    STREAMS_SHIMMED = True
    return True


def main() -> None:
    """Console-script (and frozen exe) entry point."""
    ensure_std_streams()  # first: before anything logs, prints or starts uvicorn
    logging.captureWarnings(True)
    app(prog_name="tvbridge")


if __name__ == "__main__":  # pragma: no cover
    main()
