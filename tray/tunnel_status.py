"""The tunnel's public status types and every sentence the supervisor shows a trader.

:class:`TunnelState` and :class:`TunnelStatus` are re-exported by :mod:`tray.tunnel`; import them from there.
The ``reason_*`` functions and :func:`classify_start_error` are pure, so the wording lives in one place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import urlsplit, urlunsplit

from pyngrok.exception import PyngrokNgrokError, PyngrokNgrokHTTPError

from tray import tunnel_agent as agentlib


class TunnelState(StrEnum):
    """Where the tunnel is. Values are lower-case words, safe to show or serialise."""

    DISABLED = "disabled"  #: no authtoken configured; nothing runs
    STARTING = "starting"  #: launching the agent and opening the endpoint
    ONLINE = "online"  #: the public URL forwards to the local webhook listener
    RECONNECTING = "reconnecting"  #: the agent lost its session and is reconnecting by itself
    ERROR = "error"  #: not working; ``reason`` says why and when the next try is
    STOPPED = "stopped"  #: stopped by :meth:`TunnelSupervisor.stop` (or not started yet)


@dataclass(frozen=True)
class TunnelStatus:
    """An immutable snapshot of the tunnel.

    :ivar state: the :class:`TunnelState`.
    :ivar public_url: the ``https://…`` URL TradingView posts to; set while ONLINE and kept while
        RECONNECTING (the agent re-establishes the same URL), ``None`` otherwise.
    :ivar reason: one or two plain sentences for a trader (what is happening, what to do); never a secret.
    :ivar since: when this state was entered, timezone-aware UTC.
    """

    state: TunnelState
    public_url: str | None
    reason: str
    since: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class AgentError:
    """The latest ERROR/CRITICAL line the agent logged: shortened ``err`` text (redacted) and its code."""

    text: str
    code: str | None


def seconds(value: float) -> str:
    """Format a duration in seconds for a sentence: ``2 s``, ``0.5 s``."""
    return f"{value:g} s"


def normalise_upstream(url: str) -> str:
    """Return ``url`` as ``http://127.0.0.1:<port>[/path]``; a bare port is accepted.

    ``localhost`` becomes ``127.0.0.1``: on Windows it can resolve to ``::1`` first and the agent then fails
    against an IPv4-only listener (ERR_NGROK_8012).

    :raises ValueError: when there is no port or the scheme is not http(s).
    """
    url = url.strip()
    if url.isdigit():
        return f"http://127.0.0.1:{url}"
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.port is None:
        raise ValueError(f"upstream_url must look like http://127.0.0.1:<port>, got {url!r}")
    host = "127.0.0.1" if parts.hostname == "localhost" else parts.hostname
    return urlunsplit((parts.scheme, f"{host}:{parts.port}", parts.path, parts.query, ""))


def normalise_domain(domain: str) -> str:
    """Return a reserved/dev domain as the ``url=`` pyngrok 9 expects (``https://`` added when missing)."""
    domain = domain.strip().rstrip("/")
    return domain if "://" in domain else f"https://{domain}"


def error_suffix(err: AgentError | None, detail: str = "") -> str:
    """`` (last ngrok error: …)`` when there is one, else `` (detail)``, else nothing."""
    if err is not None:
        return f" (last ngrok error: {err.text})"
    return f" ({detail})" if detail else ""


def reason_disabled() -> str:
    """No authtoken: say how to add one."""
    return ("The public webhook tunnel is off because no ngrok authtoken is set. Copy your authtoken from "
            "dashboard.ngrok.com and run `tvbridge secret set ngrok-authtoken`, or set the NGROK_AUTHTOKEN "
            "environment variable, then restart tvbridge.")


def reason_binary(ngrok_path: str | None) -> str:
    """No ngrok executable configured or found. The installer bundles ngrok only when the build had one
    (installer/README.md), so the sentence says how to get it rather than promising it is there."""
    get_it = ("Download the ngrok agent (version 3.30 or newer) from ngrok.com and set its path with "
              "`tvbridge config set ngrok_path <path>`; tvbridge never downloads ngrok by itself.")
    if not ngrok_path:
        return f"The ngrok program is not configured, so TradingView cannot reach tvbridge. {get_it}"
    return f"The ngrok program was not found at {ngrok_path}. {get_it}"


def reason_auth(code: str | None) -> str:
    """The agent refused the authtoken (ERR_NGROK_4018, 105, 107)."""
    return (f"ngrok refused the authtoken ({code}): copy a fresh token from dashboard.ngrok.com and run "
            "`tvbridge secret set ngrok-authtoken`.")


def reason_online(public_url: str | None) -> str:
    """ONLINE."""
    return f"TradingView alerts reach tvbridge at {public_url}."


def reason_reconnecting(err: AgentError | None, detail: str) -> str:
    """RECONNECTING: the agent is retrying by itself."""
    why = f" Last ngrok error: {err.text}." if err is not None else (f" ({detail})" if detail else "")
    return "ngrok lost its connection and is reconnecting by itself; alerts sent meanwhile may be lost." + why


def reason_deadline(deadline: float, err: AgentError | None) -> str:
    """Our own start deadline fired (the agent hung, or could not get a session)."""
    if err is not None and _is_network_error(err.text):
        return f"ngrok cannot reach its servers ({err.text}). Check this PC's internet connection."
    return (f"ngrok did not finish starting within {seconds(deadline)}, so it was stopped{error_suffix(err)}. "
            "If this keeps happening, check that antivirus or a firewall is not blocking ngrok.")


def reason_agent_died(exit_status: int | None, err: AgentError | None) -> str:
    """The agent process exited on its own."""
    return f"The ngrok agent stopped unexpectedly (exit status {exit_status}){error_suffix(err)}."


def classify_start_error(exc: BaseException | None, secret: str | None,
                         agent_error: AgentError | None = None) -> tuple[str, bool]:
    """Turn what a start attempt raised into ``(plain reason, back off to the maximum?)``.

    ``agent_error`` is the agent's own last error line, used when the exception carries none (pyngrok
    stopped reading before the agent said why). ``secret`` is redacted from anything quoted from the agent.
    """
    if exc is None:
        return "ngrok started but did not report a public address.", False
    err_text = getattr(exc, "ngrok_error", None) or (agent_error.text if agent_error else None) or str(exc)
    if isinstance(exc, PyngrokNgrokHTTPError):  # the agent API refused: quote its own words
        err_text = _api_error_text(exc.body) or err_text
    code = exc.ngrok_error_code if isinstance(exc, PyngrokNgrokError) else None
    code = code or agentlib.error_code(err_text) or agentlib.error_code(str(exc))
    code = code or (agent_error.code if agent_error else None)
    if code in agentlib.AUTH_ERROR_CODES:
        return reason_auth(code), True
    if code == agentlib.ALREADY_ONLINE_CODE:
        return ("ngrok says this public address is already online in another session (ERR_NGROK_334): "
                "usually an older ngrok still running, or a session from before the PC slept that ngrok has "
                "not dropped yet."), False
    plain = agentlib.redact(agentlib.first_sentence(err_text), secret)
    if _is_network_error(err_text):
        return f"ngrok cannot reach its servers ({plain}). Check this PC's internet connection.", False
    return f"ngrok failed to start: {plain}", False


def _is_network_error(text: str) -> bool:
    return any(marker in text for marker in ("dial tcp", "i/o timeout", "no such host"))


def _api_error_text(body: str | None) -> str | None:
    """``details.err`` (or ``msg``) from an agent API error body, if it is the documented JSON shape."""
    try:
        doc = json.loads(body or "")
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    details = doc.get("details")
    text = (details.get("err") if isinstance(details, dict) else None) or doc.get("msg")
    return str(text) if text else None
