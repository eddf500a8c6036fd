"""The agent's entry point: ``python -m agent`` and ``tvbridge agent`` (which forwards here).

:func:`main` parses the command line, turns it into :class:`AgentOptions` through a *resolver*, and
:func:`run` wires the agent, in this order: the terminal lock (:mod:`agent.terminal_lock`: one agent per agent
id on this computer; a second one waits here, before it touches anything), the broker
(:func:`~agent.broker.factory.open_broker`), the agent id's lease from the server (:mod:`agent.lease`: one agent
process per agent id anywhere; a second one waits here), the watchdog and the fenced broker (:mod:`agent.fence`),
the stop rules and crash journal in ``<data dir>/agents/<agent id>/``, the job loop with the deal sync and the exit
monitor beside it (:mod:`agent.dealsync`, :mod:`agent.exits`), and the ways it is asked to stop (SIGTERM/SIGINT,
and the stdin lifeline when the app started it), which also end a wait.

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
from agent.watchdog import WatchdogLimits

logger = logging.getLogger("agent")

#: Exit code when the configured broker cannot run on this machine, or the agent has no token.
EXIT_UNUSABLE = 2


@dataclass(frozen=True)
class AgentOptions:
    """Everything one agent process needs.

    ``state_dir`` holds the agent's own files (``stops.json``, ``targets.json``, ``inflight.json``,
    ``exit-rules.json``, the terminal lock); ``lifeline`` makes the agent exit when its stdin closes (set by the app
    that starts it); ``watchdog`` the broker call limits; ``deal_sync_seconds`` is how often new deals are posted to
    the ledger when no job ran.
    """

    admin_url: str
    agent_id: str
    token: str
    broker: BrokerConfig
    state_dir: Path
    lifeline: bool = False
    watchdog: WatchdogLimits = WatchdogLimits()
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
        watchdog=settings.watchdog_limits(),
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


class _Control:
    """The stop requests of one agent process: before the job loop exists they end the waits (the terminal lock,
    the lease), after that they go to the loop (a trade in flight is finished first)."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.worker: Any = None

    def signalled(self, *_: Any) -> None:
        """SIGTERM/SIGINT: finish a trade in flight, but leave an idle long-poll (or a wait) at once."""
        self.stopping.set()
        worker = self.worker
        if worker is None:
            return
        worker.stop()
        with worker.idle_lock:
            if worker.idle:
                raise SystemExit(0)

    def lifeline_closed(self) -> None:
        """The app closed our stdin or died: finish what is in flight and exit."""
        self.stopping.set()
        if self.worker is not None:
            self.worker.interrupt()


def run(options: AgentOptions) -> int:
    """Wire and run one agent until it is asked to stop; returns the exit code (:data:`EXIT_UNUSABLE` when the
    configured broker cannot run here or the state folder cannot be written)."""
    from agent.client import ServerClient
    from agent.crashes import CrashJournal
    from agent.dealsync import DealSync
    from agent.exits import ExitMonitor
    from agent.fence import FencedBroker
    from agent.lease import LeaseKeeper
    from agent.ledger_client import LedgerClient
    from agent.stops import StopManager
    from agent.targets import TargetMonitor
    from agent.terminal_lock import TerminalLock
    from agent.watchdog import Watchdog
    from agent.worker import AgentWorker

    control = _Control()
    signal.signal(signal.SIGTERM, control.signalled)
    signal.signal(signal.SIGINT, control.signalled)
    if options.lifeline:
        threading.Thread(target=_watch_lifeline, args=(control,), name="lifeline", daemon=True).start()
    lock = TerminalLock(options.state_dir, options.agent_id)
    try:
        if not lock.acquire(control.stopping.is_set):
            return 0
        broker = open_broker(options.broker)  # after the lock: the simulator's book is read only by its holder
    except (BrokerNotInstalled, OSError) as exc:
        logger.error("%s", exc)
        print(str(exc), file=sys.stderr)  # noqa: T201 - also shown when logging goes to a file only
        return EXIT_UNUSABLE
    client = ServerClient(options.admin_url, options.token, options.agent_id)
    watchdog = Watchdog()
    keeper = LeaseKeeper(client, lock_domain=lock.domain, lock_held=True, on_renewed=watchdog.rearm)
    watchdog.lease_until = keeper.valid_until
    deals: DealSync | None = None
    exits: ExitMonitor | None = None
    try:
        if keeper.acquire(control.stopping.is_set) is None:
            return 0
        keeper.start()
        stops = StopManager(options.state_dir / "stops.json")
        journal = CrashJournal(options.state_dir / "inflight.json")
        targets = TargetMonitor(options.state_dir / "targets.json")
        fenced = FencedBroker(broker, keeper, watchdog, options.watchdog)
        # The worker checks breakeven/trailing stops and netting take-profit levels (targets) in its own thread, on
        # the fenced broker like everything else: started in worker.run() now that the lease is held, and joined
        # before the worker releases the lease.
        control.worker = worker = AgentWorker(
            client, fenced, stops=stops, journal=journal, targets=targets, lease=keeper
        )
        # The ledger's side of the agent: the deal sync and the exit monitor, each with its own thread and HTTP
        # client, told about every job the executor ran. Both use the fenced broker: their reads run under the
        # watchdog, and the monitor's closes need the lease like every other write (it trades under the
        # executor's lock). They start only once this process holds the lease.
        ledger = LedgerClient(options.admin_url, options.token, options.agent_id)
        deals = DealSync(fenced, ledger, interval=options.deal_sync_seconds)
        exits = ExitMonitor(
            fenced, worker.executor.lock, client=ledger, state_file=options.state_dir / "exit-rules.json"
        )
        worker.executor.listeners += [deals.nudge, exits.learn]
        worker.before_release.append(exits.stop)  # its closes end before the lease is released
        deals.start()
        exits.start()
        if not control.stopping.is_set():
            worker.run()
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        if exits is not None:
            exits.stop()
        if deals is not None:
            deals.stop()
        keeper.stop()
        client.close()
    return 0


def _watch_lifeline(control: _Control) -> None:
    """Block on stdin until EOF: the parent closed it (a stop request) or died (the OS closed it). Then stop: a
    job in flight is finished, an idle long-poll is cut at once (on every platform, unlike a signal)."""
    while sys.stdin is not None and sys.stdin.buffer.read(65536):
        pass
    logger.info("lifeline closed: the app is stopping or gone; finishing")
    control.lifeline_closed()
