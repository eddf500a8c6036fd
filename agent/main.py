"""The agent's entry point: ``python -m agent`` and ``tvbridge agent`` (which forwards here).

:func:`main` parses the command line, turns it into :class:`AgentOptions` through a *resolver*, and
:func:`run` wires the agent: the broker (:func:`~agent.broker.factory.open_broker`), the server client, the stop
rules and crash journal in ``<data dir>/agents/<agent id>/``, the job loop, and the ways it is asked to stop
(SIGTERM/SIGINT, and the stdin lifeline when the app started it).

The default resolver reads the agent's settings from ``TVBRIDGE_*`` environment variables and the agent token
from ``TVBRIDGE_AGENT_TOKEN`` (else ``<data dir>/agent-token``), and logs to stderr. The desktop app passes its
own (``tray.agent_setup``): settings.toml as well, the MT5 password from the keyring, and its log files.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.broker.factory import BrokerConfig, BrokerNotInstalled, open_broker
from agent.settings import AgentSettings

logger = logging.getLogger("agent")

#: Exit code when the configured broker cannot run on this machine, or the agent has no token.
EXIT_UNUSABLE = 2


@dataclass(frozen=True)
class AgentOptions:
    """Everything one agent process needs.

    ``state_dir`` holds the agent's own files (``stops.json``, ``targets.json``, ``inflight.json``,
    ``exit-rules.json``); ``lifeline``
    makes the agent exit when its stdin closes (set by the app that starts it); ``deal_sync_seconds`` is how often
    new deals are posted to the ledger when no job ran.
    """

    admin_url: str
    agent_id: str
    token: str
    broker: BrokerConfig
    state_dir: Path
    lifeline: bool = False
    deal_sync_seconds: float = 10.0


class OptionsError(RuntimeError):
    """The options cannot be resolved (no token ...); ``str()`` is a sentence for the user."""


Resolver = Callable[[argparse.Namespace], AgentOptions]


def build_parser() -> argparse.ArgumentParser:
    """The agent's command line."""
    parser = argparse.ArgumentParser(
        prog="tvbridge agent",
        description="Run one agent: it executes the jobs of strategies whose agent id is its id. The agent token is "
        "read from TVBRIDGE_AGENT_TOKEN, else from the data folder's agent-token file.",
    )
    parser.add_argument("--admin-url", help="Admin listener URL, e.g. http://127.0.0.1:8766")
    parser.add_argument("--agent-id", help="This agent's id.")
    parser.add_argument("--data-dir", type=Path, help="The folder with the agent token and the agent's state.")
    parser.add_argument("--broker", choices=["sim", "mt5"], help="sim or mt5.")
    parser.add_argument("--lifeline", action="store_true", help=argparse.SUPPRESS)
    return parser


def resolve_from_environment(args: argparse.Namespace) -> AgentOptions:
    """Options from the command line and ``TVBRIDGE_*`` variables; logs to stderr.

    :raises OptionsError: no agent token in the environment nor in the data folder.
    """
    overrides = {k: v for k, v in (("agent_id", args.agent_id), ("broker", args.broker)) if v is not None}
    settings = AgentSettings(**overrides)
    logging.basicConfig(
        level=settings.log_level.upper(), stream=sys.stderr, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s"
    )
    data_dir = (args.data_dir or Path.cwd()).expanduser().resolve()
    token = os.environ.get("TVBRIDGE_AGENT_TOKEN") or _read_token(data_dir / "agent-token")
    return AgentOptions(
        admin_url=args.admin_url or settings.admin_url,
        agent_id=settings.agent_id,
        token=token,
        broker=settings.broker_config(data_dir),
        state_dir=data_dir / "agents" / settings.agent_id,
        lifeline=bool(args.lifeline),
        deal_sync_seconds=settings.deal_sync_seconds,
    )


def _read_token(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except OSError as exc:
        raise OptionsError(
            f"No agent token at {path}: start tvbridge once, or set TVBRIDGE_AGENT_TOKEN in the environment."
        ) from exc


def main(argv: Sequence[str] | None = None, *, resolve: Resolver = resolve_from_environment) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``), resolve the options and run the agent; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        options = resolve(args)
    except OptionsError as exc:
        print(str(exc), file=sys.stderr)  # noqa: T201 - the user's only channel before logging exists
        return EXIT_UNUSABLE
    return run(options)


def run(options: AgentOptions) -> int:
    """Wire and run one agent until it is asked to stop; returns the exit code (:data:`EXIT_UNUSABLE` when the
    configured broker cannot run here)."""
    from agent.client import ServerClient
    from agent.crashes import CrashJournal
    from agent.dealsync import DealSync
    from agent.exits import ExitMonitor
    from agent.ledger_client import LedgerClient
    from agent.stops import StopManager
    from agent.targets import TargetMonitor
    from agent.worker import AgentWorker

    try:
        broker = open_broker(options.broker)
    except BrokerNotInstalled as exc:
        logger.error("%s", exc)
        print(str(exc), file=sys.stderr)  # noqa: T201 - also shown when logging goes to a file only
        return EXIT_UNUSABLE
    client = ServerClient(options.admin_url, options.token, options.agent_id)
    stops = StopManager(options.state_dir / "stops.json")
    journal = CrashJournal(options.state_dir / "inflight.json")
    targets = TargetMonitor(options.state_dir / "targets.json")
    worker = AgentWorker(client, broker, stops=stops, journal=journal, targets=targets)
    # The ledger's side of the agent: the deal sync and the exit monitor, each with its own thread and HTTP client,
    # told about every job the executor ran (they read the broker; the monitor trades under the executor's lock).
    ledger = LedgerClient(options.admin_url, options.token, options.agent_id)
    deals = DealSync(broker, ledger, interval=options.deal_sync_seconds)
    exits = ExitMonitor(
        broker, worker.executor.lock, client=ledger, state_file=options.state_dir / "exit-rules.json"
    )
    worker.executor.listeners += [deals.nudge, exits.learn]
    deals.start()
    exits.start()
    _install_signals(worker)
    if options.lifeline:
        threading.Thread(target=_watch_lifeline, args=(worker,), name="lifeline", daemon=True).start()
    try:
        worker.run()
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        deals.stop()
        exits.stop()
        client.close()
    return 0


def _install_signals(worker: Any) -> None:
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
    logger.info("lifeline closed: the app is stopping or gone; finishing")
    worker.interrupt()
