"""The sender's address: the tunnel's forwarded-for entry, trusted only from loopback and only if it is an IP."""

from __future__ import annotations

import pytest

from server.source_address import source_address


def xff(*values: str) -> list[tuple[bytes, bytes]]:
    return [(b"x-forwarded-for", v.encode()) for v in values]


@pytest.mark.parametrize(
    ("peer", "headers", "expected"),
    [
        ("127.0.0.1", xff("52.89.214.238"), "52.89.214.238"),  # through the local tunnel
        ("127.0.0.1", xff("6.6.6.6, 52.89.214.238"), "52.89.214.238"),  # the sender's own entry is not believed
        ("127.0.0.1", xff("6.6.6.6", "52.89.214.238"), "52.89.214.238"),  # two header lines: the last one
        ("127.0.0.1", xff("52.89.214.238:4431"), "52.89.214.238"),
        ("127.0.0.1", xff("[2001:db8::1]:443"), "2001:db8::1"),
        ("::1", xff("203.0.113.5"), "203.0.113.5"),
        ("127.0.0.1", xff("<script>alert(1)</script>"), "127.0.0.1"),  # not an IP: never used as text
        ("127.0.0.1", [], "127.0.0.1"),  # a program on this PC
        ("203.0.113.9", xff("1.2.3.4"), "203.0.113.9"),  # not from loopback: the header is not trusted
        (None, xff("1.2.3.4"), "unknown"),
    ],
)
def test_source_address(peer: str | None, headers: list[tuple[bytes, bytes]], expected: str) -> None:
    assert source_address(peer, headers) == expected
