"""Local set-up commands: ``config``, ``secret``, ``doctor`` and ``self-test``. They need no running instance."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tray import streams
from tray.cli_common import DataDir, app, cli_settings
from tray.paths import resolve_paths

config_app = typer.Typer(help="Show or change settings (settings.toml). Secrets: see `tvbridge secret`.",
                         no_args_is_help=True)
app.add_typer(config_app, name="config")
secret_app = typer.Typer(help="Store secrets in the system keyring (Windows Credential Manager).", no_args_is_help=True)
app.add_typer(secret_app, name="secret")


@app.command()
def doctor(data_dir: DataDir = None) -> None:
    """Check MT5, AutoTrading, ports, the tunnel and the data folder; exit code 0 when all is well."""
    from tray.doctor import exit_code, format_report, run_checks

    settings, paths = cli_settings(data_dir)
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

    result = run_selftest(timeout=timeout, keep=keep, streams_shimmed=streams.shimmed)
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
        settings, paths = cli_settings(data_dir)
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


SECRET_KINDS = ("ngrok-authtoken", "mt5-password", "notify-urls")


def _secret_kind(kind: str) -> str:
    if kind not in SECRET_KINDS:
        typer.echo(f"Unknown secret {kind!r}: use one of {', '.join(SECRET_KINDS)}.", err=True)
        raise typer.Exit(2)
    return kind


@secret_app.command("set")
def secret_set(
    kind: Annotated[str, typer.Argument(help="ngrok-authtoken, mt5-password or notify-urls")],
    login: Annotated[int | None, typer.Option(help="The MT5 account number (for mt5-password).")] = None,
    stdin: Annotated[bool, typer.Option("--stdin", help="Read the secret from standard input.")] = False,
) -> None:
    """Save a secret in the keyring. It is asked for without echo (or read with --stdin), never printed.

    notify-urls: the notification targets as apprise URLs separated by spaces (tgram://bottoken/chatid
    discord://webhook_id/token ...); they replace the saved ones and apply at once."""
    from tray import secrets

    _secret_kind(kind)
    if kind == "notify-urls":
        _set_notify_urls(sys.stdin.readline() if stdin else typer.prompt("Notification URLs", hide_input=True))
        return
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


def _set_notify_urls(text: str) -> None:
    from server.notifications import service_name
    from tray import secrets

    urls = text.split()
    if not urls:
        typer.echo("No URL given: nothing was saved. (`tvbridge secret delete notify-urls` removes them.)", err=True)
        raise typer.Exit(2)
    unknown = [str(n) for n, url in enumerate(urls, start=1) if service_name(url) is None]
    if unknown:
        typer.echo(f"URL {', '.join(unknown)} is not a notification URL apprise knows (e.g. tgram://bottoken/chatid, "
                   "discord://webhook_id/token, ntfy://topic): nothing was saved.", err=True)
        raise typer.Exit(2)
    try:
        secrets.KeyringUrlStore().save(urls)
    except secrets.KeyringUnavailable as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    names = ", ".join(f"{n}: {service_name(u)}" for n, u in enumerate(urls, start=1))
    typer.echo(f"Saved {len(urls)} notification target(s) in the {secrets.backend_name()} keyring ({names}). "
               "A running tvbridge uses them from the next notification; `tvbridge notify test` sends one now.")


@secret_app.command("delete")
def secret_delete(
    kind: Annotated[str, typer.Argument(help="ngrok-authtoken, mt5-password or notify-urls")],
    login: Annotated[int | None, typer.Option(help="The MT5 account number (for mt5-password).")] = None,
) -> None:
    """Remove a secret from the keyring."""
    from tray import secrets

    _secret_kind(kind)
    try:
        if kind == "notify-urls":
            had = bool(secrets.KeyringUrlStore().load().urls)
            secrets.KeyringUrlStore().save([])
            removed = had
        elif kind == "ngrok-authtoken":
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

    settings, _ = cli_settings(data_dir)
    if secrets.keyring_available():
        typer.echo(f"keyring: {secrets.backend_name()}")
    else:
        typer.echo(f"keyring: none. {secrets.NO_KEYRING}")
    lookup = secrets.find_ngrok_authtoken()
    typer.echo(f"ngrok authtoken: {'set, from the ' + str(lookup.source) if lookup.value else 'not set'}")
    if settings.mt5_login is not None:
        saved = secrets.get_mt5_password(settings.mt5_login) is not None
        typer.echo(f"MT5 password for {settings.mt5_login}: {'set' if saved else 'not set'}")
    urls = secrets.KeyringUrlStore().load()
    count = len(urls.urls)
    typer.echo(f"notification URLs: {f'{count} set, from the {urls.source}' if count else 'not set'}")


# -- entry point -----------------------------------------------------------------------------------------
