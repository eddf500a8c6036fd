"""Settings: one pydantic-settings class read from ``settings.toml``, ``TVBRIDGE_*`` environment variables
and command-line options (highest priority first: options, environment, file, defaults).

Secrets (the MT5 password, the ngrok authtoken) are never settings: they live in the OS keyring.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource


class Settings(BaseSettings):
    """Everything configurable. Ports are TCP ports on ``host`` (loopback by default: binding 0.0.0.0 would
    expose the admin API and trigger the Windows firewall prompt).

    - ``public_base_url``: the webhook base URL when no tunnel provides one (e.g. your own reverse proxy).
    - ``broker``: ``sim`` (embedded simulator, paper trading) or ``mt5`` (the real terminal, Windows).
    - ``sim_*``: the simulated account: netting or hedging, starting balance (USD), broker symbol suffix, and
      the broker round trip of each order in milliseconds (0: instant; 100-300 is typical of a real broker).
    - ``mt5_path``/``mt5_login``/``mt5_server``: the terminal64.exe to drive and the account (password in the keyring).
    - ``ngrok_path``: the ngrok agent binary (bundled with the installer; never downloaded at run time);
      ``ngrok_domain``: a reserved/dev domain such as ``https://you.ngrok-free.app``.
    """

    model_config = SettingsConfigDict(env_prefix="TVBRIDGE_", extra="ignore")

    host: str = "127.0.0.1"
    public_port: int = 8765
    admin_port: int = 8766
    public_base_url: str | None = None
    broker: Literal["sim", "mt5"] = "sim"
    agent_id: str = "default"
    sim_margin_mode: Literal["netting", "hedging"] = "netting"
    sim_balance: float = 10_000.0
    sim_symbol_suffix: str = ""
    sim_latency_ms: float = 0.0
    mt5_path: str | None = None
    mt5_login: int | None = None
    mt5_server: str | None = None
    ngrok_path: str | None = None
    ngrok_domain: str | None = None
    log_level: str = "INFO"

    @property
    def admin_url(self) -> str:
        """Base URL of the admin listener."""
        return f"http://127.0.0.1:{self.admin_port}"


def load_settings(config_file: Path, **overrides: object) -> Settings:
    """Read settings from ``config_file`` (if it exists), the environment and ``overrides`` (non-None only).

    :raises pydantic.ValidationError: a value has the wrong type; the message names the field.
    """

    class _FromFile(Settings):
        model_config = SettingsConfigDict(env_prefix="TVBRIDGE_", extra="ignore", toml_file=config_file)

        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    values = {k: v for k, v in overrides.items() if v is not None}
    return Settings.model_validate(_FromFile(**values).model_dump())  # type: ignore[arg-type]
