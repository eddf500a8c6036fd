"""Where tvbridge keeps its files: the platform's per-user folders (platformdirs), or one folder for all.

On Windows: data and config in ``%LOCALAPPDATA%\\tvbridge``, logs in ``%LOCALAPPDATA%\\tvbridge\\Logs``
(``appauthor=False`` avoids the doubled ``tvbridge\\tvbridge`` path, desktop-shell §3.9). On Linux: the XDG
folders. ``--data-dir DIR`` puts everything (database, tokens, settings.toml, logs) under DIR.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "tvbridge"


@dataclass(frozen=True)
class AppPaths:
    """``data_dir`` holds the database, tokens and simulator state; ``config_file`` the TOML settings;
    ``log_dir`` the rotating logs."""

    data_dir: Path
    config_file: Path
    log_dir: Path

    @property
    def database(self) -> Path:
        """The SQLite database file."""
        return self.data_dir / "tvbridge.db"

    def ensure(self) -> AppPaths:
        """Create the folders. :raises OSError: a folder cannot be created."""
        for d in (self.data_dir, self.config_file.parent, self.log_dir):
            d.mkdir(parents=True, exist_ok=True)
        return self


def resolve_paths(data_dir: Path | None = None) -> AppPaths:
    """The folders to use: all under ``data_dir`` when given, else the platform's user folders."""
    if data_dir is not None:
        root = data_dir.expanduser().resolve()
        return AppPaths(root, root / "settings.toml", root / "logs")
    return AppPaths(
        Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "settings.toml",
        Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
    )
