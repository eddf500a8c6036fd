"""The tray icon's state, in one colour and a few plain words.

- **running** (green): listeners up, the tunnel online (or a ``public_base_url`` of your own), every agent
  connected to its terminal with AutoTrading on, trading not paused;
- **degraded** (amber): running, but an alert could fail to arrive or to trade; the tooltip says why;
- **stopped** (red): the server is not running (or could not start; the tooltip says why).

Computed from the same data the admin API serves (``GET /api/v1/agents``, ``/tunnel``, ``/settings``): the
``agents`` table, the tunnel status and the settings row, read through the runtime's engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw
from sqlmodel import Session, col, select

from server.models import Agent, Strategy

if TYPE_CHECKING:
    from tray.runtime import Runtime

#: An agent long-polls every 25 s and posts a snapshot every 10 s: unseen for this long means gone.
AGENT_STALE_AFTER = timedelta(seconds=45)
#: Windows keeps at most 127 characters of a tray tooltip.
TOOLTIP_MAX = 127

COLOURS = {
    "running": (46, 160, 67),
    "degraded": (230, 160, 20),
    "stopped": (200, 40, 40),
}


class AppState(StrEnum):
    """The icon's three states."""

    RUNNING = "running"
    DEGRADED = "degraded"
    STOPPED = "stopped"


@dataclass(frozen=True)
class StatusReport:
    """The state and, unless running, the reasons (plain sentences, most important first)."""

    state: AppState
    reasons: list[str] = field(default_factory=list)

    @property
    def tooltip(self) -> str:
        """``tvbridge: running`` or ``tvbridge: degraded - <first reason>`` (cut to Windows' 127 chars)."""
        text = f"tvbridge: {self.state}"
        if self.reasons:
            text += " - " + self.reasons[0]
            if len(self.reasons) > 1:
                text += f" (+{len(self.reasons) - 1} more)"
        text = text.replace("…", "...")
        return text if len(text) <= TOOLTIP_MAX else text[: TOOLTIP_MAX - 3] + "..."

    @property
    def summary(self) -> str:
        """All reasons, one per line, for the menu's status line and ``tvbridge doctor``."""
        return "\n".join(self.reasons) if self.reasons else "Everything is working."


def compute_status(runtime: Runtime, *, start_error: str | None = None, now: datetime | None = None) -> StatusReport:
    """The status of ``runtime`` right now (never raises: a failed read is itself a reason)."""
    if start_error:
        return StatusReport(AppState.STOPPED, [start_error])
    if runtime.server is None or runtime.engine is None or runtime.ctx is None:
        return StatusReport(AppState.STOPPED, ["tvbridge is stopped."])
    now = now or datetime.now(UTC)
    reasons = [*_tunnel_reasons(runtime)]
    try:
        reasons.extend(_agent_reasons(runtime, now))
        if runtime.ctx.read_settings().trading_paused:
            reasons.append("All trading is paused: resume it on the dashboard or in the tray menu.")
    except Exception as exc:  # e.g. the database is locked past its timeout
        reasons.append(f"Could not read the database: {exc}")
    return StatusReport(AppState.DEGRADED if reasons else AppState.RUNNING, reasons)


def _tunnel_reasons(runtime: Runtime) -> list[str]:
    status = getattr(runtime.tunnel, "status", None)
    if status is None:
        if runtime.settings.public_base_url:
            return []  # the trader runs their own reverse proxy
        from tray.tunnel_status import reason_disabled

        return [reason_disabled()]
    if str(status.state) == "online":
        return []
    return [f"Tunnel {status.state}: {status.reason}"]


def _expected_agents(runtime: Runtime, session: Session) -> set[str]:
    expected = {runtime.settings.agent_id} if runtime.spawn_agent else set()
    enabled = session.exec(select(Strategy.agent_id).where(col(Strategy.is_enabled))).all()
    return expected | set(enabled)


def _agent_reasons(runtime: Runtime, now: datetime) -> list[str]:
    assert runtime.engine is not None
    reasons: list[str] = []
    with Session(runtime.engine) as session:
        agents = {a.id: a for a in session.exec(select(Agent)).all()}
        expected = _expected_agents(runtime, session)
    for agent_id in sorted(expected | set(agents)):
        agent = agents.get(agent_id)
        seen = agent.last_seen_at if agent is not None else None
        if seen is None or now - seen > AGENT_STALE_AFTER:
            if agent_id in expected:
                when = f" since {seen.astimezone().strftime('%H:%M')}" if seen else " yet"
                reasons.append(f"The MT5 agent '{agent_id}' is not connected{when}.")
            continue
        assert agent is not None
        if agent.terminal_connected is False:
            why = f": {agent.last_error}" if agent.last_error else "."
            reasons.append(f"Agent '{agent_id}' cannot reach MetaTrader 5{why}")
        elif agent.trade_allowed is False:
            reasons.append(f"AutoTrading is off in MetaTrader 5 (agent '{agent_id}'): press the AutoTrading button.")
    return reasons


def icon_image(state: AppState | str, size: int = 64) -> Image.Image:
    """The tray image for ``state``: a filled circle in the state's colour on a transparent square."""
    colour = COLOURS[str(state)]
    scale = 4  # draw large and shrink: smooth edges without anti-aliasing support in ImageDraw
    big = Image.new("RGBA", (size * scale, size * scale), (0, 0, 0, 0))
    draw = ImageDraw.Draw(big)
    pad = size * scale // 16
    draw.ellipse((pad, pad, size * scale - pad, size * scale - pad), fill=(*colour, 255), outline=(30, 30, 30, 255),
                 width=max(1, size * scale // 24))
    return big.resize((size, size), Image.Resampling.LANCZOS)
