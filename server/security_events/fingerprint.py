"""Short, non-reversible fingerprints of secrets that were tried, so repeated attempts with one wrong secret can
be told apart from many different ones without ever storing or showing a secret.

A fingerprint is the first 12 hex digits (48 bits) of HMAC-SHA256 under a per-install key (the
``security-key`` file in the data folder, user-only, made on first start). Keyed, so that a fingerprint cannot
be checked against a guessed secret by anyone without that file, and different on every installation; short,
so it identifies a secret among the few a trader uses, not the secret itself.
"""

from __future__ import annotations

import hashlib
import hmac

FINGERPRINT_HEX_DIGITS = 12


class Fingerprinter:
    """``fingerprint(secret) -> str`` under one install key."""

    def __init__(self, key: str) -> None:
        self._key = key.encode("utf-8")

    def __repr__(self) -> str:  # the key stays out of reprs and tracebacks
        return "Fingerprinter(<key>)"

    def __call__(self, secret: str | None) -> str:
        """The fingerprint of ``secret``; ``""`` for ``None`` or an empty secret."""
        if not secret:
            return ""
        mac = hmac.new(self._key, secret.encode("utf-8", errors="replace"), hashlib.sha256)
        return mac.hexdigest()[:FINGERPRINT_HEX_DIGITS]
