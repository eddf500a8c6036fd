"""Loopback Host names and token files."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.security import host_is_loopback, load_or_create_token


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:8766", "localhost", "LOCALHOST:80", "[::1]", "[::1]:8766"])
def test_loopback_names_pass(host: str) -> None:
    assert host_is_loopback(host)


@pytest.mark.parametrize("host", [None, "", "evil.example", "evil.example:8766", "127.0.0.1.evil.example",
                                  "10.0.0.5", "localhost.evil", "0.0.0.0"])  # noqa: S104
def test_other_names_are_refused(host: str | None) -> None:
    assert not host_is_loopback(host)


def test_token_is_created_once_and_private(tmp_path: Path) -> None:
    first = load_or_create_token(tmp_path, "admin-token")
    assert load_or_create_token(tmp_path, "admin-token") == first
    assert len(first) >= 40
    assert (tmp_path / "admin-token").stat().st_mode & 0o777 == 0o600
