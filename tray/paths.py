"""Where tvbridge keeps its files: the platform's per-user folders (platformdirs), or one folder for all.

On Windows: data and config in ``%LOCALAPPDATA%\\tvbridge``, logs in ``%LOCALAPPDATA%\\tvbridge\\Logs``
(``appauthor=False`` avoids the doubled ``tvbridge\\tvbridge`` path, desktop-shell §3.9). On Linux: the XDG
folders. ``--data-dir DIR`` puts everything (database, tokens, settings.toml, logs) under DIR.

Everything tvbridge keeps is for the user who runs it (issue 9.12: the database holds webhook secrets, the logs
account details). On POSIX :meth:`AppPaths.ensure` makes the folders 0700 and tvbridge's files in them 0600 (also
those an older version left readable by others), and sets the process umask to 0o077, so every file created later
is 0600 too: SQLite's ``-wal``/``-shm``/``-journal`` files, rotated logs, the agent's and the simulator's state,
files of child processes (the agent inherits the umask). On Windows the folders are in the user's profile
(``%LOCALAPPDATA%``), whose inherited ACL grants only the user, SYSTEM and Administrators; nothing is changed there.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

logger = logging.getLogger(__name__)

APP_NAME = "tvbridge"

#: Files of the data folder that are tvbridge's (its folder may be one the user chose): the database and its
#: companions, tokens, runtime/instance files, the lock, settings.
PRIVATE_FILE_PATTERNS = ("tvbridge.db*", "*-token", "runtime.json", "instance.json", "tvbridge.lock",
                         "quit.request", "settings.toml", "*.tmp")
#: Folders of the data folder that hold only tvbridge's files: made private with everything inside.
PRIVATE_FOLDERS = ("agents", "simulator", "ngrok", "logs")


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
        """Create the folders, private to this user (see the module's docstring), and set the umask for new files.

        :raises OSError: a folder cannot be created.
        """
        if os.name == "posix":
            os.umask(0o077)
        for d in (self.data_dir, self.config_file.parent, self.log_dir):
            d.mkdir(parents=True, exist_ok=True)
        if os.name == "posix":
            self._make_private()
        return self

    def _make_private(self) -> None:
        folders = [self.data_dir, self.config_file.parent, self.log_dir]
        if self.log_dir.parent.name == APP_NAME:  # ~/.local/state/tvbridge/log: the tvbridge folder is ours too
            folders.append(self.log_dir.parent)
        files = [self.config_file]
        for pattern in PRIVATE_FILE_PATTERNS:
            files += self.data_dir.glob(pattern)
        trees = [self.log_dir, *(self.data_dir / name for name in PRIVATE_FOLDERS)]
        for tree in trees:
            if tree.is_dir():
                for root, dirs, names in os.walk(tree):
                    folders += [Path(root, d) for d in dirs]
                    files += [Path(root, n) for n in names]
                folders.append(tree)
        for path in [*folders, *files]:
            _restrict(path)


def _restrict(path: Path) -> None:
    """Take the group's and others' permissions off ``path`` (0644 -> 0600, 0755 -> 0700); a file that vanished
    meanwhile is skipped, one we may not change (someone else's) is left as it is with a warning."""
    try:
        current = path.lstat()
    except FileNotFoundError:
        return
    if path.is_symlink() or current.st_mode & 0o077 == 0:
        return
    try:
        path.chmod(current.st_mode & 0o700)
    except OSError as exc:
        logger.warning("could not make %s private to this user: %s", path, exc)


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
