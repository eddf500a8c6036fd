"""What every ``tvbridge`` command shares: the typer app, the ``--data-dir`` option, settings and tokens."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from tray.paths import AppPaths, resolve_paths
from tray.settings import Settings, load_settings

app = typer.Typer(add_completion=False, no_args_is_help=False, help="TradingView alerts to MetaTrader 5 orders.")

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Keep all data, settings and logs in this folder.")]


def cli_settings(data_dir: Path | None, **overrides: Any) -> tuple[Settings, AppPaths]:
    """Settings (file, environment, then ``overrides``) and folders for ``--data-dir`` (or the user folders)."""
    paths = resolve_paths(data_dir)
    return load_settings(paths.config_file, **overrides), paths


def read_token(path: Path) -> str:
    """A token file's content. :raises typer.Exit: (code 2) with a sentence when it cannot be read."""
    try:
        return path.read_text(encoding="ascii").strip()
    except OSError as exc:
        typer.echo(f"No token at {path}: start tvbridge once, or set the token in the environment.", err=True)
        raise typer.Exit(2) from exc


def version() -> str:
    """The installed tvbridge version (from the package metadata, bundled in the frozen build too)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("tvbridge")
    except PackageNotFoundError:
        return "unknown"
