"""Secrets in the operating system's keyring, never in settings.toml or the logs.

On Windows the keyring is the Credential Manager (``keyring``'s WinVaultKeyring); on a Linux desktop the
Secret Service. Entries (service / user name), distinct services so the Windows backend never merges them:

- ``tvbridge/ngrok`` / ``authtoken``: the ngrok authtoken that opens the public webhook tunnel;
- ``tvbridge/mt5`` / ``<login>``: the password of MetaTrader 5 account ``<login>``;
- ``tvbridge/notify`` / ``urls``: the notification targets, apprise URLs (one per line), which hold the services'
  credentials (a Telegram bot token, a Discord webhook token, an e-mail password). Without a keyring they can be
  given in the ``TVBRIDGE_NOTIFY_URLS`` environment variable instead (space- or line-separated), read only.

A machine without a usable keyring (a headless Linux box, a CI runner) gets :class:`KeyringUnavailable`
with a sentence that says so and what to do instead; reads then fall back to ngrok's own
``NGROK_AUTHTOKEN`` environment variable. No function here logs or prints a secret value.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # the agent process imports this module for the MT5 password: no server imports at run time
    from server.notifications import StoredUrls

logger = logging.getLogger(__name__)

NGROK_SERVICE = "tvbridge/ngrok"
NGROK_USER = "authtoken"
MT5_SERVICE = "tvbridge/mt5"
#: ngrok's own environment variable for the authtoken (also read by the ngrok agent itself).
NGROK_ENV = "NGROK_AUTHTOKEN"
NOTIFY_SERVICE = "tvbridge/notify"
NOTIFY_USER = "urls"
#: Notification URLs when there is no keyring (space- or line-separated), read only.
NOTIFY_ENV = "TVBRIDGE_NOTIFY_URLS"

NO_KEYRING = (
    "This computer has no password store (keyring) that tvbridge can use, so secrets cannot be saved. "
    "On Windows this is the Credential Manager and always present; on Linux install and unlock a Secret "
    "Service keyring (GNOME Keyring or KWallet). Meanwhile you can set the ngrok authtoken in the "
    "NGROK_AUTHTOKEN environment variable."
)


class KeyringUnavailable(RuntimeError):
    """No usable keyring backend; ``str(exc)`` is a plain sentence for the user."""


@dataclass(frozen=True)
class SecretLookup:
    """Where a secret was found (``value`` is ``None`` when nowhere). ``problem``: why the keyring was not
    consulted (no backend), for ``tvbridge doctor``."""

    value: str | None
    source: Literal["keyring", "environment"] | None
    problem: str | None = None

    def __repr__(self) -> str:  # never show the value, even in a traceback or a debugger
        shown = "set" if self.value else "unset"
        return f"SecretLookup(value=<{shown}>, source={self.source!r}, problem={self.problem!r})"


def backend_name() -> str:
    """The class name of the active keyring backend (e.g. ``WinVaultKeyring``), for diagnostics."""
    import keyring

    return type(keyring.get_keyring()).__name__


def keyring_available() -> bool:
    """True when a real keyring backend is active (not keyring's ``fail``/``null`` placeholders)."""
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or type(backend).__module__ == "keyring.backends.null":
        return False
    try:
        return float(backend.priority) > 0
    except Exception:  # a backend whose priority itself raises is not usable
        return False


def _get(service: str, user: str) -> str | None:
    import keyring
    import keyring.errors

    try:
        return keyring.get_password(service, user)
    except keyring.errors.NoKeyringError as exc:
        raise KeyringUnavailable(NO_KEYRING) from exc
    except keyring.errors.KeyringError as exc:
        raise KeyringUnavailable(f"The password store refused to answer ({type(exc).__name__}): is it locked?") from exc


def _set(service: str, user: str, value: str) -> None:
    import keyring
    import keyring.errors

    if not keyring_available():
        raise KeyringUnavailable(NO_KEYRING)
    try:
        keyring.set_password(service, user, value)
    except keyring.errors.KeyringError as exc:
        raise KeyringUnavailable(f"The password store refused to save ({type(exc).__name__}): is it locked?") from exc
    logger.info("saved secret %s in the %s keyring", service, backend_name())


def _delete(service: str, user: str) -> bool:
    import keyring
    import keyring.errors

    if not keyring_available():
        raise KeyringUnavailable(NO_KEYRING)
    try:
        keyring.delete_password(service, user)
    except keyring.errors.PasswordDeleteError:
        return False
    logger.info("deleted secret %s from the keyring", service)
    return True


# -- ngrok ---------------------------------------------------------------------------------------------


def find_ngrok_authtoken() -> SecretLookup:
    """The ngrok authtoken: the keyring first, else the ``NGROK_AUTHTOKEN`` environment variable."""
    token: str | None = None
    problem: str | None = None
    if keyring_available():
        try:
            token = _get(NGROK_SERVICE, NGROK_USER)
        except KeyringUnavailable as exc:
            problem = str(exc)
    else:
        problem = NO_KEYRING
    if token:
        return SecretLookup(token, "keyring")
    env = os.environ.get(NGROK_ENV, "").strip()
    if env:
        return SecretLookup(env, "environment", problem)
    return SecretLookup(None, None, problem)


def get_ngrok_authtoken() -> str | None:
    """The ngrok authtoken (keyring, else ``NGROK_AUTHTOKEN``), or ``None`` when none is set."""
    return find_ngrok_authtoken().value


def set_ngrok_authtoken(token: str) -> None:
    """Save the ngrok authtoken in the keyring. :raises KeyringUnavailable: :raises ValueError: empty."""
    token = token.strip()
    if not token:
        raise ValueError("The ngrok authtoken is empty.")
    if any(c.isspace() for c in token):
        raise ValueError("An ngrok authtoken has no spaces: copy it again from dashboard.ngrok.com.")
    _set(NGROK_SERVICE, NGROK_USER, token)


def delete_ngrok_authtoken() -> bool:
    """Remove the ngrok authtoken from the keyring; ``False`` when there was none."""
    return _delete(NGROK_SERVICE, NGROK_USER)


# -- MetaTrader 5 --------------------------------------------------------------------------------------


def get_mt5_password(login: int | None) -> str | None:
    """The saved password of MT5 account ``login``; ``None`` when there is none or no keyring (the terminal's
    own saved login is then used)."""
    if login is None:
        return None
    try:
        return _get(MT5_SERVICE, str(login)) if keyring_available() else None
    except KeyringUnavailable:
        return None


def set_mt5_password(login: int, password: str) -> None:
    """Save the password of MT5 account ``login``. :raises KeyringUnavailable: :raises ValueError: empty."""
    if not password:
        raise ValueError("The password is empty.")
    _set(MT5_SERVICE, str(int(login)), password)


def delete_mt5_password(login: int) -> bool:
    """Remove the saved password of MT5 account ``login``; ``False`` when there was none."""
    return _delete(MT5_SERVICE, str(int(login)))


# -- notification targets --------------------------------------------------------------------------------


def _split_urls(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split() if part)


class KeyringUrlStore:
    """The notification URLs in the keyring (``tvbridge/notify``), else ``TVBRIDGE_NOTIFY_URLS`` (read only):
    the server's :class:`server.notifications.UrlStore`. Nothing here logs or prints a URL."""

    def load(self) -> StoredUrls:
        """The URLs now and where they came from. Never raises."""
        from server.notifications import StoredUrls
        problem: str | None = None
        if keyring_available():
            try:
                saved = _get(NOTIFY_SERVICE, NOTIFY_USER)
            except KeyringUnavailable as exc:
                saved, problem = None, str(exc)
            if saved:
                return StoredUrls(_split_urls(saved), "keyring")
        else:
            problem = NO_KEYRING.replace(
                "Meanwhile you can set the ngrok authtoken in the NGROK_AUTHTOKEN environment variable.",
                f"Meanwhile you can give notification URLs in the {NOTIFY_ENV} environment variable.",
            )
        env = _split_urls(os.environ.get(NOTIFY_ENV, ""))
        if env:
            return StoredUrls(env, "environment", problem)
        return StoredUrls((), None, problem)

    def save(self, urls: list[str]) -> None:
        """Replace the URLs in the keyring (``[]`` deletes the entry). :raises KeyringUnavailable:"""
        if not urls:
            _delete(NOTIFY_SERVICE, NOTIFY_USER)
            return
        _set(NOTIFY_SERVICE, NOTIFY_USER, "\n".join(urls))
