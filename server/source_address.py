"""The address a webhook request came from, for rate limits and the security-event log.

The public listener binds 127.0.0.1, so every request reaches it from loopback: through the tunnel (the ngrok
agent runs on this PC and adds ``X-Forwarded-For`` with the address that connected to ngrok) or from a program on
this PC. The forwarded-for header is therefore trusted only when the peer itself is loopback, and then only its
**last** entry, the one the local tunnel appended: entries before it are whatever the sender wrote
(tradingview-and-bridges.md §5: "read X-Forwarded-For only from the tunnel"). uvicorn's own proxy-headers
middleware, when it runs, applies the same rule before us (it trusts 127.0.0.1 and takes the right-most
untrusted entry); this function gives the same answer either way.

A value that is not an IP address is never used, so nothing a sender writes in the header reaches the log as
text.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

UNKNOWN = "unknown"


def _ip(text: str) -> str | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [::1]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 1.2.3.4:port
        text = text.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def source_address(peer: str | None, headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The sender's address: the last ``X-Forwarded-For`` entry when ``peer`` (the TCP peer, as the ASGI scope's
    ``client``) is loopback and the entry is an IP address; else the peer; ``"unknown"`` without either."""
    peer_ip = _ip(peer) if peer else None
    if peer_ip is not None and _is_loopback(peer_ip):
        forwarded = [v.decode("latin-1") for k, v in headers if k.lower() == b"x-forwarded-for"]
        if forwarded:
            last = ",".join(forwarded).split(",")[-1]
            found = _ip(last)
            if found is not None:
                return found
    return peer_ip or UNKNOWN
