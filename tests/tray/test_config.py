"""``tvbridge config``: settings.toml written with tomli-w, validated, read back by the real settings loader."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tray.cli import app
from tray.config_file import ConfigError, parse_value, read_config, set_value, show, unset_value
from tray.settings import load_settings


def test_set_values_are_typed_and_read_back_by_load_settings(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    assert set_value(path, "public_port", "8775") == 8775
    assert set_value(path, "broker", "sim") == "sim"
    assert set_value(path, "sim-balance", "2500.5") == 2500.5  # dashes are accepted
    assert set_value(path, "NGROK_DOMAIN", "me.ngrok-free.app") == "me.ngrok-free.app"
    with path.open("rb") as fh:
        assert tomllib.load(fh) == {"broker": "sim", "ngrok_domain": "me.ngrok-free.app", "public_port": 8775,
                                    "sim_balance": 2500.5}
    settings = load_settings(path)
    assert (settings.public_port, settings.sim_balance, settings.ngrok_domain) == (8775, 2500.5, "me.ngrok-free.app")
    assert list(tmp_path.iterdir()) == [path]  # the atomic write left no temporary file


def test_wrong_values_unknown_keys_and_secrets_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    with pytest.raises(ConfigError, match="'lots' is not a valid value for public_port"):
        set_value(path, "public_port", "lots")
    with pytest.raises(ConfigError, match="broker"):
        set_value(path, "broker", "binance")
    with pytest.raises(ConfigError, match="no setting called 'colour'"):
        set_value(path, "colour", "red")
    with pytest.raises(ConfigError, match="tvbridge secret set ngrok-authtoken"):
        set_value(path, "ngrok_authtoken", "2abc")
    with pytest.raises(ConfigError, match="mt5-password"):
        set_value(path, "mt5_password", "x")
    with pytest.raises(ConfigError, match="needs a value"):
        parse_value("public_port", "")
    assert not path.exists()  # nothing was written


def test_empty_value_and_unset_go_back_to_the_default(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    set_value(path, "mt5_login", "51234567")
    set_value(path, "admin_port", "9000")
    assert set_value(path, "mt5_login", "none") is None
    assert read_config(path) == {"admin_port": 9000}
    assert unset_value(path, "admin_port") is True
    assert unset_value(path, "admin_port") is False
    assert read_config(path) == {} and load_settings(path).admin_port == 8766


def test_show_says_where_each_value_comes_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "settings.toml"
    set_value(path, "public_port", "8775")
    monkeypatch.setenv("TVBRIDGE_BROKER", "sim")
    shown = {s.key: (s.value, s.source) for s in show(path, load_settings(path))}
    assert shown["public_port"] == (8775, "file")
    assert shown["broker"] == ("sim", "environment")
    assert shown["admin_port"] == (8766, "default")


def test_a_broken_file_is_reported_not_crashed_on(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("public_port = = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        read_config(path)


def test_cli_config_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path)]
    result = runner.invoke(app, ["config", "set", "public_port", "8775", *data])
    assert result.exit_code == 0, result.output
    assert "Restart tvbridge" in result.output
    result = runner.invoke(app, ["config", "show", *data])
    assert result.exit_code == 0 and "public_port = 8775  [file]" in result.output
    result = runner.invoke(app, ["config", "set", "broker", "binance", *data])
    assert result.exit_code == 2 and "not a valid value for broker" in result.output
    result = runner.invoke(app, ["config", "path", *data])
    assert result.output.strip() == str(tmp_path.resolve() / "settings.toml")
    result = runner.invoke(app, ["config", "unset", "public_port", *data])
    assert result.exit_code == 0 and "removed" in result.output
