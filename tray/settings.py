"""Settings: one pydantic-settings class read from ``settings.toml``, ``TVBRIDGE_*`` environment variables
and command-line options (highest priority first: options, environment, file, defaults).

Secrets (the MT5 password, the ngrok authtoken) are never settings: they live in the OS keyring.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from agent.settings import AgentSettings


class Settings(AgentSettings):
    """Everything configurable: the agent's settings (:class:`agent.settings.AgentSettings`: broker, agent id,
    simulator, MT5 terminal, admin port, log level) and the app's. Ports are TCP ports on ``host`` (loopback by
    default: binding 0.0.0.0 would expose the admin API and trigger the Windows firewall prompt).

    - ``public_base_url``: the webhook base URL when no tunnel provides one (e.g. your own reverse proxy).
    - ``ngrok_path``: the ngrok agent binary (bundled with the installer; never downloaded at run time);
      ``ngrok_domain``: a reserved/dev domain such as ``https://you.ngrok-free.app``.
    - ``agent_lease_seconds``: how long an agent's lease on its agent id lasts after its last renewal reached the
      server (server/leases.py). An agent that stops answering is replaced by a waiting one after this long.
    """

    model_config = SettingsConfigDict(env_prefix="TVBRIDGE_", extra="ignore")

    host: str = "127.0.0.1"
    public_port: int = 8765
    public_base_url: str | None = None
    ngrok_path: str | None = None
    ngrok_domain: str | None = None
    agent_lease_seconds: float = Field(default=30.0, ge=1.0, le=600.0)


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
