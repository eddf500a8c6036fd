"""One tvbridge per user (per data folder), and a way to ask the running one to quit.

Lock: on Windows a named mutex (``CreateMutexW``) whose name is the installer's ``AppMutex``
(:data:`MUTEX_NAME`, see ``installer/tvbridge.iss``), so Setup and Uninstall see a running tvbridge too; on
POSIX an exclusive ``fcntl.flock`` on ``<data folder>/tvbridge.lock``. Both are released by the operating
system when the process dies, so a crash never leaves a stale lock. A tvbridge started with ``--data-dir``
uses a lock of its own (mutex name suffixed with a hash of the folder), so a test or second account can run
beside the installed one.

Quit: ``tvbridge quit`` writes ``<data folder>/quit.request``; the running instance's :class:`QuitWatcher`
sees it within half a second and shuts down in order (agent, tunnel with its ngrok child, listeners). It is
plain file IPC on purpose: identical on Windows and Linux, testable here, needs no port and no admin token.
The uninstaller runs ``tvbridge.exe quit`` for the same reason.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from tray.paths import AppPaths, resolve_paths

logger = logging.getLogger(__name__)

#: The mutex of the installed app (default data folder). installer/tvbridge.iss uses it as AppMutex.
MUTEX_NAME = "tvbridge-app-mutex"
LOCK_FILE = "tvbridge.lock"
INSTANCE_FILE = "instance.json"
QUIT_FILE = "quit.request"
_ERROR_ALREADY_EXISTS = 183

ALREADY_RUNNING = (
    "tvbridge is already running (look for its icon in the notification area, or run `tvbridge quit` to "
    "stop it). Nothing was started."
)


def lock_name(paths: AppPaths) -> str:
    """The mutex name for ``paths``: :data:`MUTEX_NAME` for the default folders, a suffixed one otherwise."""
    if paths.data_dir == resolve_paths(None).data_dir:
        return MUTEX_NAME
    digest = hashlib.sha256(str(paths.data_dir).lower().encode()).hexdigest()[:12]
    return f"{MUTEX_NAME}-{digest}"


class SingleInstance:
    """Try to take the instance lock at construction; ``already_running`` says whether another process has it.

    Keep the object alive for the whole run; :meth:`release` (or process exit) frees the lock.
    """

    def __init__(self, paths: AppPaths) -> None:
        self.paths = paths
        self.name = lock_name(paths)
        self.already_running = False
        #: When the lock was taken (``time.time()``): quit requests older than this are stale.
        self.acquired_at = time.time()
        self._handle: Any = None
        self._file: Any = None
        if sys.platform == "win32":
            self._acquire_windows()
        else:
            self._acquire_posix()

    def _acquire_windows(self) -> None:  # pragma: no cover - Windows only (the CI workflow runs it)
        import ctypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined,unused-ignore]
        kernel32.CreateMutexW.restype = ctypes.c_void_p
        kernel32.CreateMutexW.argtypes = (ctypes.c_void_p, ctypes.c_bool, ctypes.c_wchar_p)
        kernel32.CloseHandle.argtypes = (ctypes.c_void_p,)
        handle = kernel32.CreateMutexW(None, False, self.name)
        if ctypes.get_last_error() == _ERROR_ALREADY_EXISTS:  # type: ignore[attr-defined,unused-ignore]
            self.already_running = True
            if handle:
                kernel32.CloseHandle(handle)
            return
        self._handle = handle
        self._kernel32 = kernel32

    def _acquire_posix(self) -> None:
        import fcntl

        self.paths.data_dir.mkdir(parents=True, exist_ok=True)
        fh = (self.paths.data_dir / LOCK_FILE).open("a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            self.already_running = True
            return
        self._file = fh

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._handle is not None or self._file is not None

    def write_info(self, **info: Any) -> None:
        """Record ``pid`` and ``info`` (e.g. the admin URL) in ``instance.json`` for ``tvbridge quit``/doctor."""
        doc = {"pid": os.getpid(), "started": time.time(), **info}
        with contextlib.suppress(OSError):
            (self.paths.data_dir / INSTANCE_FILE).write_text(json.dumps(doc), encoding="utf-8")

    def release(self) -> None:
        """Free the lock and remove ``instance.json`` (idempotent)."""
        if not self.held:
            return
        with contextlib.suppress(OSError):
            (self.paths.data_dir / INSTANCE_FILE).unlink(missing_ok=True)
        if self._handle is not None:  # pragma: no cover - Windows only
            self._kernel32.CloseHandle(self._handle)
            self._handle = None
        if self._file is not None:
            self._file.close()  # closing the descriptor drops the flock
            self._file = None

    def __enter__(self) -> SingleInstance:
        return self

    def __exit__(self, *_: object) -> None:
        self.release()


def is_running(paths: AppPaths) -> bool:
    """True when another process holds the instance lock for ``paths``."""
    probe = SingleInstance(paths)
    probe.release()
    return probe.already_running


def read_instance_info(paths: AppPaths) -> dict[str, Any] | None:
    """What the running instance wrote in ``instance.json`` (``None`` when missing or unreadable)."""
    try:
        doc = json.loads((paths.data_dir / INSTANCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def request_quit(paths: AppPaths, *, wait: float = 30.0, poll: float = 0.1) -> bool:
    """Ask the running instance for ``paths`` to quit and wait up to ``wait`` seconds until it has.

    :return: ``True`` when no instance runs any more (also when none was running), ``False`` on time-out.
    """
    if not is_running(paths):
        (paths.data_dir / QUIT_FILE).unlink(missing_ok=True)
        return True
    (paths.data_dir / QUIT_FILE).write_text(str(os.getpid()), encoding="utf-8")
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if not is_running(paths):
            return True
        time.sleep(poll)
    return False


class QuitWatcher:
    """Runs ``on_quit`` (once, on its own thread) when ``quit.request`` appears in the data folder.

    ``since`` (a ``time.time()``, normally :attr:`SingleInstance.acquired_at`): a request file older than that
    is a leftover from before this instance held the lock and is discarded; a newer one (``tvbridge quit``
    sent while this instance was still starting) is honoured.
    """

    #: Tolerance for coarse file-system timestamps (FAT keeps 2 s).
    STALE_MARGIN = 2.0

    def __init__(self, paths: AppPaths, on_quit: Callable[[], None], *, interval: float = 0.5,
                 since: float | None = None) -> None:
        self._file = paths.data_dir / QUIT_FILE
        self._on_quit = on_quit
        self._interval = interval
        self._since = time.time() if since is None else since
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tvbridge-quit-watcher", daemon=True)

    def start(self) -> QuitWatcher:
        """Start watching. A request left over from before ``since`` is discarded first."""
        try:
            if self._file.stat().st_mtime < self._since - self.STALE_MARGIN:
                self._file.unlink(missing_ok=True)
        except OSError:
            pass
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            if self._file.exists():
                self._file.unlink(missing_ok=True)
                logger.info("quit requested by `tvbridge quit`")
                try:
                    self._on_quit()
                except Exception:
                    logger.exception("quitting failed")
                return

    def stop(self) -> None:
        """Stop watching (safe to call from ``on_quit`` itself)."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(2.0)
