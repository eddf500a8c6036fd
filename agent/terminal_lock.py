"""The terminal lock: one agent process per agent id on this computer, proven by the operating system.

An agent holds an exclusive OS file lock on ``<state dir>/terminal.lock`` (``agents/<agent id>/`` in the data
folder) from before it opens the broker until it exits; the OS releases it when the process ends, however it ends
(a kill, a crash, a power-off of the app). A second agent for the same agent id and data folder waits for the lock
before it touches the broker, so on one computer two processes never send for one terminal, and the one that gets
the lock knows its predecessor is gone and cannot send any more: the server then hands it the agent id's lease at
once (``lock_domain``, :mod:`contract.lease`) and it reconciles what its predecessor left claimed.

The lock is ``filelock``'s platform lock: ``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows (where the OS
may take a moment to release a dead process's lock: the waiter simply waits that moment longer).
``lock-domain`` beside it holds a random id naming this lock file for the server; ``terminal.owner`` says which
process holds it, for the sentence a waiting agent logs.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import filelock

from agent.atomic import write_atomic

logger = logging.getLogger(__name__)

#: Seconds between two attempts while another process holds the lock (also how soon a stop request is seen).
POLL_SECONDS = 0.25


class TerminalLock:
    """The OS lock of ``agent_id``'s state folder ``state_dir``; :meth:`acquire` once, held until the process ends
    (or :meth:`release`)."""

    def __init__(self, state_dir: Path, agent_id: str) -> None:
        self.state_dir = state_dir
        self.agent_id = agent_id
        self.path = state_dir / "terminal.lock"
        self._lock = filelock.FileLock(str(self.path))
        self.held = False

    @property
    def domain(self) -> str:
        """The random id of this lock file (created once), which the server compares to hand a lease over at once."""
        path = self.state_dir / "lock-domain"
        try:
            found = path.read_text(encoding="ascii").strip()
            if 8 <= len(found) <= 64:
                return found
        except (OSError, UnicodeDecodeError):
            pass
        made = uuid.uuid4().hex
        write_atomic(path, made)
        return made

    def acquire(self, stopping: Callable[[], bool]) -> bool:
        """Block until this process holds the lock (True), or until ``stopping()`` (False). While another process
        holds it, say so once in the log.

        :raises OSError: the state folder cannot be written.
        """
        self.state_dir.mkdir(parents=True, exist_ok=True)
        said = False
        while not stopping():
            try:
                self._lock.acquire(timeout=POLL_SECONDS)
            except filelock.Timeout:
                if not said:
                    said = True
                    logger.warning(
                        "Another agent for agent id '%s' is running on this computer (%s): this one waits until it "
                        "stops, so that only one process sends orders to the terminal.",
                        self.agent_id, self._owner(),
                    )
                continue
            self.held = True
            write_atomic(
                self.state_dir / "terminal.owner",
                json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}),
                durable=False,
            )
            if said:
                logger.info("the other agent for agent id '%s' has stopped: this one goes on", self.agent_id)
            return True
        return False

    def release(self) -> None:
        """Let go of the lock (the OS does it anyway when the process ends)."""
        if self.held:
            self._lock.release()
            self.held = False

    def _owner(self) -> str:
        try:
            owner = json.loads((self.state_dir / "terminal.owner").read_text(encoding="utf-8"))
            since = time.strftime("%H:%M:%S", time.localtime(float(owner["since"])))
            return f"pid {int(owner['pid'])}, since {since}"
        except (OSError, ValueError, KeyError, TypeError):
            return "its process id is not known"
