"""Sender authentication for senders that can sign: an HMAC-SHA256 signature header, checked per strategy.

TradingView cannot add headers or sign (tradingview-and-bridges.md §4: "can't send custom headers"), so this is
for other tools — a script, a relay, another bridge — posting to a strategy's webhook URL or the universal one.
A strategy with a ``signing_secret`` requires every alert to carry::

    X-TVBridge-Signature: t=<unix seconds>,n=<nonce>,v1=<hex HMAC-SHA256>

where ``v1 = HMAC-SHA256(key=signing_secret, msg = t + "." + n + "." + body)``, ``body`` being the exact bytes
posted. ``t`` is the sender's clock in whole seconds; ``n`` a fresh random nonce of 8 to 64 characters from
``[A-Za-z0-9_-]`` (no dot, so the signed message splits one way only: a captured signature cannot be re-used
for another body by moving bytes between the nonce and the body). The shape follows Stripe's
``t=...,v1=...`` scheme; the key and the message are UTF-8.

An alert is refused (``rejected``, never traded) when the header is missing or malformed, ``t`` is more than
:data:`WINDOW_SECONDS` away from the server's clock (either way: an old capture cannot be replayed later), the
signature does not match (compared in constant time, :func:`hmac.compare_digest`), or the very same signature
was already accepted within the window (:class:`ReplayMemory`: a capture replayed inside the window).

:func:`check` runs on the event loop (the HMAC of a 64 KiB body takes tens of microseconds); the replay memory is
consulted by the ``signature`` gate in the writer thread, which sees alerts strictly in order.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum

#: The request header a signing sender sets (case-insensitive, as every HTTP header name).
HEADER = "X-TVBridge-Signature"

#: Seconds the signed timestamp may differ from the server's clock, either way (5 minutes, as Stripe's default).
WINDOW_SECONDS = 300

_NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_HEX = re.compile(r"^[0-9a-f]{64}$")
_T = re.compile(r"^[0-9]{1,12}$")
_MAX_HEADER = 512


class Problem(StrEnum):
    """Why a signature was refused (the security event's detail)."""

    MISSING = "missing"
    MALFORMED = "malformed"
    EXPIRED = "expired"
    FORGED = "forged"
    REPLAYED = "replayed"


#: What each problem means to the trader, as the rejected signal's sentence.
SENTENCES: dict[Problem, str] = {
    Problem.MISSING: (
        f"The alert carries no {HEADER} header, and this strategy requires signed alerts (it has a signing "
        "secret), so it was not traded. TradingView cannot sign: remove the strategy's signing secret for "
        "TradingView alerts, or send through a tool that signs (docs/alerts.md)."
    ),
    Problem.MALFORMED: (
        f"The alert's {HEADER} header is not of the form t=<unix seconds>,n=<nonce>,v1=<64 hex digits>, so it "
        "was not traded. See docs/alerts.md for the format."
    ),
    Problem.EXPIRED: (
        f"The alert's signature is dated more than {WINDOW_SECONDS} s away from this PC's clock, so it was not "
        "traded (an old request may be a replay). Check the sender's clock and this PC's clock."
    ),
    Problem.FORGED: (
        "The alert's signature does not match its body and this strategy's signing secret, so it was not traded. "
        "Check that the sender uses the same signing secret and signs the exact bytes it posts."
    ),
    Problem.REPLAYED: (
        "The alert repeats a signed request already received (same signature), so it was not traded again: a "
        "replay. A sender must use a fresh nonce for every request."
    ),
}


@dataclass(frozen=True)
class SignatureCheck:
    """The outcome of :func:`check`: ``problem`` is ``None`` when the signature is valid, and ``key`` then names
    the signed request for the replay memory (its ``v1``, which covers time, nonce and body)."""

    problem: Problem | None
    key: str = ""

    @property
    def ok(self) -> bool:
        """True for a valid signature (before the replay memory was asked)."""
        return self.problem is None


def sign(secret: str, body: bytes, *, timestamp: int | None = None, nonce: str | None = None) -> str:
    """The ``X-TVBridge-Signature`` header value for ``body`` (what a signing sender computes).

    :param secret: the strategy's signing secret. :param timestamp: unix seconds (default: now).
    :param nonce: 8-64 characters from ``[A-Za-z0-9_-]`` (default: a fresh random one).
    """
    t = int(time.time()) if timestamp is None else timestamp
    n = secrets.token_urlsafe(16) if nonce is None else nonce
    return f"t={t},n={n},v1={_mac(secret, t, n, body)}"


def _mac(secret: str, t: int | str, n: str, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), f"{t}.{n}.".encode("ascii") + body, hashlib.sha256).hexdigest()


def check(secret: str, header: str | None, body: bytes, now: float) -> SignatureCheck:
    """Check ``header`` (the raw header value, ``None`` when absent) against ``body`` and ``secret``.

    :param now: the server's clock in unix seconds. Never raises; the replay memory is not consulted here.
    """
    if header is None or not header.strip():
        return SignatureCheck(Problem.MISSING)
    if len(header) > _MAX_HEADER:
        return SignatureCheck(Problem.MALFORMED)
    parts: dict[str, str] = {}
    for item in header.split(","):
        name, eq, value = item.strip().partition("=")
        if not eq or name in parts:
            return SignatureCheck(Problem.MALFORMED)
        parts[name] = value.strip()
    t, n, v1 = parts.get("t", ""), parts.get("n", ""), parts.get("v1", "").lower()
    if set(parts) != {"t", "n", "v1"} or not (_T.match(t) and _NONCE.match(n) and _HEX.match(v1)):
        return SignatureCheck(Problem.MALFORMED)
    if abs(now - int(t)) > WINDOW_SECONDS:
        return SignatureCheck(Problem.EXPIRED)
    if not hmac.compare_digest(_mac(secret, t, n, body), v1):
        return SignatureCheck(Problem.FORGED)
    return SignatureCheck(None, v1)


class ReplayMemory:
    """The signatures accepted within the last :data:`WINDOW_SECONDS` (x2: a timestamp may lie that far ahead),
    per strategy. Only valid signatures are remembered, and only a key holder can make those, so its size is
    bounded by the strategies' own traffic (and their rate limits); ``max_entries`` caps it regardless, forgetting
    the oldest first (they are about to fall out of the window anyway).

    Used from the writer thread only (the ``signature`` gate), so it needs no lock.
    """

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self._seen: OrderedDict[tuple[int, str], float] = OrderedDict()

    def remember(self, strategy_id: int, key: str, now: float) -> bool:
        """Record ``key`` for ``strategy_id``; ``False`` when it was already seen within the window (a replay)."""
        horizon = now - 2 * WINDOW_SECONDS
        while self._seen:
            oldest_key, at = next(iter(self._seen.items()))
            if at >= horizon and len(self._seen) < self.max_entries:
                break
            del self._seen[oldest_key]
        if (strategy_id, key) in self._seen:
            return False
        self._seen[(strategy_id, key)] = now
        return True

    def forget(self, strategy_id: int, key: str) -> None:
        """Undo :meth:`remember` (the alert's group was not committed, so the request was not accepted)."""
        self._seen.pop((strategy_id, key), None)

    def __len__(self) -> int:
        return len(self._seen)
