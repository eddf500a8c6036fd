"""Secrets in the keyring: the real ``keyring`` API with an in-memory backend (``keyring.set_keyring``),
keyring's own ``fail`` backend for "no password store here", and the real CLI commands."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import pytest
from keyring.backends import fail
from typer.testing import CliRunner

from tests.fakes.keyring import MemoryKeyring
from tray import secrets
from tray.cli import app
from tray.compose import PortBoundTunnel, build_runtime
from tray.paths import resolve_paths
from tray.settings import Settings

TOKEN = "2abcDEFghiJKLmnoPQRstuVWXyz_0123456789abcdefGHIJ"


@pytest.fixture
def memory(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    monkeypatch.delenv("NGROK_AUTHTOKEN", raising=False)
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("NGROK_AUTHTOKEN", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # what a headless Linux box has
    yield
    keyring.set_keyring(previous)


def test_ngrok_authtoken_round_trip_under_the_documented_names(memory: MemoryKeyring) -> None:
    assert secrets.get_ngrok_authtoken() is None
    secrets.set_ngrok_authtoken(f"  {TOKEN}\n")
    assert memory.store == {("tvbridge/ngrok", "authtoken"): TOKEN}
    lookup = secrets.find_ngrok_authtoken()
    assert (lookup.value, lookup.source, lookup.problem) == (TOKEN, "keyring", None)
    assert TOKEN not in repr(lookup)
    assert secrets.delete_ngrok_authtoken() is True
    assert secrets.delete_ngrok_authtoken() is False
    assert secrets.get_ngrok_authtoken() is None


def test_keyring_wins_over_the_environment_which_is_the_fallback(memory: MemoryKeyring,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NGROK_AUTHTOKEN", "from-env")
    assert secrets.find_ngrok_authtoken().source == "environment"
    assert secrets.get_ngrok_authtoken() == "from-env"
    secrets.set_ngrok_authtoken(TOKEN)
    assert secrets.find_ngrok_authtoken().source == "keyring"
    assert secrets.get_ngrok_authtoken() == TOKEN


def test_bad_tokens_are_refused_in_plain_words(memory: MemoryKeyring) -> None:
    with pytest.raises(ValueError, match="empty"):
        secrets.set_ngrok_authtoken("   ")
    with pytest.raises(ValueError, match="no spaces"):
        secrets.set_ngrok_authtoken("abc def")
    assert memory.store == {}


def test_mt5_password_per_login(memory: MemoryKeyring) -> None:
    secrets.set_mt5_password(51234567, "pa ss")
    assert memory.store == {("tvbridge/mt5", "51234567"): "pa ss"}
    assert secrets.get_mt5_password(51234567) == "pa ss"
    assert secrets.get_mt5_password(99) is None
    assert secrets.get_mt5_password(None) is None
    assert secrets.delete_mt5_password(51234567) is True


def test_without_a_keyring_reads_fall_back_and_writes_say_so(no_keyring: None,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    assert secrets.keyring_available() is False
    lookup = secrets.find_ngrok_authtoken()
    assert lookup.value is None and lookup.problem == secrets.NO_KEYRING
    assert secrets.get_mt5_password(123) is None  # the terminal's saved login is used instead
    with pytest.raises(secrets.KeyringUnavailable, match="no password store"):
        secrets.set_ngrok_authtoken(TOKEN)
    monkeypatch.setenv("NGROK_AUTHTOKEN", TOKEN)
    assert secrets.get_ngrok_authtoken() == TOKEN


def test_secret_values_never_reach_the_logs(memory: MemoryKeyring, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secrets.set_ngrok_authtoken(TOKEN)
    secrets.get_ngrok_authtoken()
    secrets.set_mt5_password(7, "hunter2-secret")
    secrets.delete_ngrok_authtoken()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "tvbridge/ngrok" in text  # it does log that something happened ...
    assert TOKEN not in text and "hunter2-secret" not in text  # ... never the value


def test_cli_secret_commands(memory: MemoryKeyring, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["secret", "set", "ngrok-authtoken", "--stdin"], input=TOKEN + "\n")
    assert result.exit_code == 0, result.output
    assert TOKEN not in result.output and "Saved" in result.output
    assert memory.store[("tvbridge/ngrok", "authtoken")] == TOKEN

    result = runner.invoke(app, ["secret", "set", "mt5-password", "--login", "5001"], input="pw-123\npw-123\n")
    assert result.exit_code == 0, result.output
    assert memory.store[("tvbridge/mt5", "5001")] == "pw-123" and "pw-123" not in result.output

    result = runner.invoke(app, ["secret", "status", "--data-dir", str(tmp_path)])
    assert "ngrok authtoken: set, from the keyring" in result.output and TOKEN not in result.output

    result = runner.invoke(app, ["secret", "delete", "ngrok-authtoken"])
    assert result.exit_code == 0 and "Deleted." in result.output
    result = runner.invoke(app, ["secret", "set", "api-key", "--stdin"], input="x\n")
    assert result.exit_code == 2 and "Unknown secret" in result.output


def test_cli_without_a_keyring_explains(no_keyring: None) -> None:
    result = CliRunner().invoke(app, ["secret", "set", "ngrok-authtoken", "--stdin"], input=TOKEN + "\n")
    assert result.exit_code == 1
    assert "no password store" in result.output and "NGROK_AUTHTOKEN" in result.output


def test_build_runtime_opens_the_tunnel_only_with_a_token(memory: MemoryKeyring, tmp_path: Path) -> None:
    paths = resolve_paths(tmp_path / "data")
    settings = Settings(public_port=0, admin_port=0, ngrok_domain="me.ngrok-free.app")
    assert build_runtime(settings, paths).tunnel is None
    secrets.set_ngrok_authtoken(TOKEN)
    tunnel = build_runtime(settings, paths).tunnel
    assert isinstance(tunnel, PortBoundTunnel)
    assert TOKEN not in repr(tunnel)
    assert build_runtime(settings, paths, tunnel=False).tunnel is None
