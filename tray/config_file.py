"""Reading and writing ``settings.toml`` for ``tvbridge config``.

The file holds only non-secret settings (the fields of :class:`tray.settings.Settings`), written with
``tomli-w``. Every change is validated against the field's type before it is written, and the file is
replaced atomically (write a temporary file, then rename), so a crash never leaves half a file behind.
Secrets are refused with a pointer to ``tvbridge secret set``: they belong in the keyring.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import TypeAdapter, ValidationError

from tray.settings import Settings

#: Names people try to store that are secrets: refused with a hint.
SECRET_NAMES = {
    "ngrok_authtoken": "tvbridge secret set ngrok-authtoken",
    "authtoken": "tvbridge secret set ngrok-authtoken",
    "ngrok_token": "tvbridge secret set ngrok-authtoken",
    "mt5_password": "tvbridge secret set mt5-password --login <login>",
    "password": "tvbridge secret set mt5-password --login <login>",
}
_NONE_WORDS = {"", "none", "null"}


class ConfigError(ValueError):
    """A setting or the file is wrong; ``str(exc)`` is a plain sentence."""


@dataclass(frozen=True)
class ShownSetting:
    """One line of ``tvbridge config show``: the effective value and where it comes from."""

    key: str
    value: Any
    source: str  # "file", "environment" or "default"


def normalise_key(key: str) -> str:
    """``public-port`` and ``PUBLIC_PORT`` both mean ``public_port``. :raises ConfigError: unknown/secret."""
    name = key.strip().lower().replace("-", "_")
    if name in SECRET_NAMES:
        raise ConfigError(f"{key} is a secret and is never stored in settings.toml: use `{SECRET_NAMES[name]}`.")
    if name not in Settings.model_fields:
        known = ", ".join(sorted(Settings.model_fields))
        raise ConfigError(f"There is no setting called {key!r}. Known settings: {known}.")
    return name


def read_config(path: Path) -> dict[str, Any]:
    """The settings stored in ``path`` (empty when the file does not exist). :raises ConfigError: bad TOML."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}); fix or delete it.") from exc


def write_config(path: Path, data: dict[str, Any]) -> None:
    """Replace ``path`` with ``data`` as TOML (keys sorted), atomically. :raises OSError:"""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = tomli_w.dumps({k: data[k] for k in sorted(data)})
    fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("# tvbridge settings. Edit with `tvbridge config set KEY VALUE`. Secrets live in the keyring.\n")
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def parse_value(key: str, raw: str) -> Any:
    """Convert the text ``raw`` to the type of setting ``key``; ``None`` for an empty optional value.

    :raises ConfigError: the text does not fit the setting's type (the message names the setting).
    """
    name = normalise_key(key)
    field = Settings.model_fields[name]
    text = raw.strip()
    if text.lower() in _NONE_WORDS:
        if field.is_required() or field.default is not None:
            raise ConfigError(f"{name} needs a value (default: {field.default!r}).")
        return None
    try:
        return TypeAdapter(field.annotation).validate_python(text)  # type: ignore[arg-type]
    except ValidationError as exc:
        problem = exc.errors()[0].get("msg", "invalid value")
        raise ConfigError(f"{raw!r} is not a valid value for {name}: {problem}.") from exc


def set_value(path: Path, key: str, raw: str) -> Any:
    """Store setting ``key`` (``None`` removes it, back to the default); returns the stored value.

    :raises ConfigError: unknown key, secret, or a value of the wrong type.
    """
    name = normalise_key(key)
    value = parse_value(name, raw)
    data = read_config(path)
    if value is None:
        data.pop(name, None)
    else:
        data[name] = value
    try:
        Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"settings.toml would not be valid: {exc.errors()[0].get('msg')}.") from exc
    write_config(path, data)
    return value


def unset_value(path: Path, key: str) -> bool:
    """Remove setting ``key`` from the file (back to its default); ``False`` when it was not there."""
    name = normalise_key(key)
    data = read_config(path)
    if name not in data:
        return False
    del data[name]
    write_config(path, data)
    return True


def show(path: Path, settings: Settings) -> list[ShownSetting]:
    """Every setting's effective value (``settings``, as loaded) and where it comes from."""
    stored = read_config(path)
    env_names = {k.upper() for k in os.environ}
    shown = []
    for name in Settings.model_fields:
        if f"TVBRIDGE_{name.upper()}" in env_names:
            source = "environment"
        elif name in stored:
            source = "file"
        else:
            source = "default"
        shown.append(ShownSetting(name, getattr(settings, name), source))
    return shown
