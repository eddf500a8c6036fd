"""Notification targets through ``apprise``: Telegram, Discord, e-mail, ntfy, Slack, Pushover and the ~100 other
services apprise knows, each given as an apprise URL (``tgram://bottoken/chatid``, ``discord://webhook_id/token``,
``mailto://user:password@gmail.com``, ``ntfys://topic``; https://github.com/caronc/apprise/wiki).

A URL holds the service's credentials, so it is treated as a secret: stored in the keyring (tray/secrets.py), never
returned by the API or logged. Targets are shown by their service name and position only ("2: Discord").
apprise's own log is switched off (it would print URLs), and its messages are never echoed to the API.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from types import ModuleType

#: URLs kept at most, and characters per URL.
MAX_TARGETS = 20
MAX_URL_CHARS = 2048

# apprise logs the URLs it cannot read, and service answers that may name an account: its own log is switched off,
# and tvbridge logs each failed target by position and service name only.
logging.getLogger("apprise").disabled = True


class NotInstalled(RuntimeError):
    """apprise could not be imported."""


def _apprise() -> ModuleType:
    try:
        import apprise
    except ImportError as exc:  # pragma: no cover - a dependency
        raise NotInstalled("The apprise package is missing; reinstall tvbridge.") from exc
    return apprise


def service_name(url: str) -> str | None:
    """The service an apprise URL names ("Discord", "Telegram", "JSON"), or ``None`` when apprise does not know it."""
    plugin = _apprise().Apprise.instantiate(url, suppress_exceptions=True)
    return None if plugin is None else str(getattr(plugin, "service_name", None) or type(plugin).__name__)


@dataclass
class SendReport:
    """What a send did: the services that took it, and those that did not with why (no URL, no secret)."""

    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def sentence(self) -> str:
        """The outcome in one sentence."""
        if not self.sent and not self.failed:
            return "No notification targets are set: add one (an apprise URL) first."
        parts = []
        if self.sent:
            parts.append(f"Sent to {', '.join(self.sent)}.")
        if self.failed:
            failed = "; ".join(f"{name}: {why}" for name, why in self.failed)
            parts.append(f"Not delivered to {failed}.")
        return " ".join(parts)


def send(urls: list[str], title: str, message: str) -> SendReport:
    """Send one notification to every URL, one by one (a target that fails does not stop the others)."""
    apprise = _apprise()
    report = SendReport()
    for n, url in enumerate(urls, start=1):
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        name = f"{n}: {getattr(plugin, 'service_name', None) or 'unknown service'}"
        if plugin is None:
            report.failed.append((name, "not a notification URL apprise knows"))
            continue
        try:
            ok = bool(plugin.notify(body=message, title=title))
        except Exception:  # a plugin bug must not break the sender
            logging.getLogger(__name__).exception("notification target %s failed", name)
            ok = False
        if ok:
            report.sent.append(name)
        else:
            report.failed.append((name, "the service refused it or could not be reached (see tvbridge.log)"))
    return report
