"""How the desktop app resolves ``tvbridge agent`` into the agent's options (:mod:`agent.main`).

The agent parses its own command line; this module is the app's resolver: settings from ``settings.toml``, the
environment and the options (the same ones the app itself uses), the agent token from the environment or the
data folder, the MT5 password from the keyring, and the app's redacting log files.
"""

from __future__ import annotations

import argparse
import os

from agent.main import AgentOptions, OptionsError
from tray.logs import setup_logging
from tray.paths import resolve_paths
from tray.secrets import get_mt5_password
from tray.settings import load_settings


def resolve(args: argparse.Namespace) -> AgentOptions:
    """The agent's options for this installation. :raises OptionsError: no agent token can be found."""
    # not tray.cli_common.cli_settings: that module brings typer and rich into the agent process
    paths = resolve_paths(args.data_dir)
    settings = load_settings(paths.config_file, broker=args.broker, agent_id=args.agent_id)
    paths.ensure()
    setup_logging(paths.log_dir, f"agent-{settings.agent_id}", settings.log_level)
    token = os.environ.get("TVBRIDGE_AGENT_TOKEN")
    if not token:
        path = paths.data_dir / "agent-token"
        try:
            token = path.read_text(encoding="ascii").strip()
        except OSError as exc:
            raise OptionsError(
                f"No token at {path}: start tvbridge once, or set the token in the environment."
            ) from exc
    return AgentOptions(
        admin_url=args.admin_url or settings.admin_url,
        agent_id=settings.agent_id,
        token=token,
        broker=settings.broker_config(paths.data_dir, get_mt5_password(settings.mt5_login)),
        state_dir=paths.data_dir / "agents" / settings.agent_id,
        lifeline=bool(args.lifeline),
        watchdog=settings.watchdog_limits(),
        deal_sync_seconds=settings.deal_sync_seconds,
    )
