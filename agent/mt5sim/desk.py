"""The paper terminal's desk: what a trader does by hand in MetaTrader 5, and what the trade server does on its own,
asked for by dropping command files into a folder.

A real terminal has a trade window (manual trades and closes, magic number 0, deal reason CLIENT) and a trade
server that moves prices, fires SL/TP and stops accounts out. The simulator runs inside the agent process, so
these are reached through ``<simulator state folder>/desk/``: each ``*.json`` file holds one command, executed in
file-name order; its answer is written next to it as ``<name>.done.json`` (``{"ok": true, "result": ...}`` or
``{"ok": false, "error": "..."}``) and the command file is removed. Write a command atomically (to a temporary
name, then rename it to ``*.json``) and wait for its answer file: that is the moment it took effect.

Commands (``op`` and its fields):

- ``trade``: ``symbol``, ``side`` (buy/sell), ``volume`` (lots), optional ``position`` (ticket to close),
  ``magic`` (another EA's; default 0: the trader), ``comment``, ``sl``, ``tp``.
- ``close``: ``ticket``, optional ``volume`` (default: all): the trader closes a position in the terminal.
- ``quote``: ``symbol``, ``bid``, optional ``ask``: the market moves there (pending orders, SL/TP and the
  stop-out act on it).
- ``stop_out``: the server stops the account out now (the worst position first).
- ``fault``: ``kind``, optional ``count``, ``executed``: script the next ``order_send`` answers
  (:func:`agent.mt5sim.control.inject_fault`).
- ``symbol``: ``name`` and spec fields to change (``liquidity_lots``, ``filling_mode`` ...,
  :func:`agent.mt5sim.control.set_symbol`).

Simulator only: a live terminal is driven by its trader, never through this folder.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from agent.atomic import write_atomic
from agent.mt5sim import control
from agent.mt5sim.runtime import SIM

logger = logging.getLogger(__name__)

#: Seconds between looks into the folder.
POLL_SECONDS = 0.05
DONE_SUFFIX = ".done.json"


def run_command(command: dict[str, Any]) -> dict[str, Any]:
    """Execute one desk command; returns its result. :raises ValueError, KeyError, TypeError: a bad command."""
    op = command.get("op")
    if op == "trade":
        retcode, deal, order = control.manual_trade(
            str(command["symbol"]), str(command["side"]), float(command["volume"]),
            position=int(command.get("position", 0)), magic=int(command.get("magic", 0)),
            comment=str(command.get("comment", "")), sl=float(command.get("sl", 0.0)), tp=float(command.get("tp", 0.0)),
        )
        return {"retcode": retcode, "deal": deal, "order": order}
    if op == "close":
        with SIM.lock:
            position = SIM.book.position(int(command["ticket"]))
            if position is None:
                raise ValueError(f"no open position #{command['ticket']}")
            side = "sell" if position.type == 0 else "buy"
            volume = float(command.get("volume") or position.volume)
            retcode, deal, order = control.manual_trade(position.symbol, side, volume, position=position.ticket)
        return {"retcode": retcode, "deal": deal, "order": order}
    if op == "quote":
        ask = command.get("ask")
        control.set_quote(str(command["symbol"]), float(command["bid"]), float(ask) if ask is not None else None)
        return {}
    if op == "stop_out":
        return {"closed": control.stop_out(force=True)}
    if op == "fault":
        control.inject_fault(str(command["kind"]), int(command.get("count", 1)),
                             executed=bool(command.get("executed", False)))
        return {}
    if op == "symbol":
        fields = {k: v for k, v in command.items() if k not in ("op", "name")}
        control.set_symbol(str(command["name"]), **fields)
        return {}
    raise ValueError(f"unknown desk command {op!r}")


class Desk:
    """Watches ``folder`` for command files from a daemon thread (:meth:`start`) or on demand (:meth:`poll`)."""

    def __init__(self, folder: Path, *, interval: float = POLL_SECONDS) -> None:
        self.folder = folder
        self.interval = interval
        self._stop = threading.Event()

    def poll(self) -> int:
        """Execute every waiting command, in file-name order; returns how many there were."""
        try:
            waiting = sorted(p for p in self.folder.glob("*.json") if not p.name.endswith(DONE_SUFFIX))
        except OSError:
            return 0
        for path in waiting:
            try:
                command = json.loads(path.read_text(encoding="utf-8"))
                answer: dict[str, Any] = {"ok": True, "result": run_command(command)}
            except Exception as exc:  # a bad command file must not stop the desk (nor the agent)
                answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            logger.info("paper desk: %s -> %s", path.name, answer)
            write_atomic(path.with_name(path.stem + DONE_SUFFIX), json.dumps(answer), durable=False)
            path.unlink(missing_ok=True)
        return len(waiting)

    def start(self) -> None:
        """Watch the folder from a daemon thread until :meth:`stop`."""
        self.folder.mkdir(parents=True, exist_ok=True)
        threading.Thread(target=self._run, name="paper-desk", daemon=True).start()

    def stop(self) -> None:
        """Stop watching."""
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.poll()
