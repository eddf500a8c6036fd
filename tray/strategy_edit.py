"""The friendly collection edits of ``tvbridge strategy edit``: ``--map NQ1!=USTEC``, ``--unmap GOLD``,
``--allow EURUSD``, ``--disallow``, ``--pip XAUUSD=0.1``, ``--unpip``, ``--dialect``, ``--no-dialect``.

Each edit starts from the strategy's current value (``GET``) and produces the whole new value for the
``PATCH`` (the API replaces a collection whole). Symbols are matched case-insensitively, as the agent
matches ``symbol_map`` keys (``agent/planner/symbols.py``) and the allowed-pairs gate matches symbols.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any


class EditError(ValueError):
    """An edit that cannot apply (e.g. unmapping a symbol that is not mapped); ``str()`` is a sentence."""


def split_pair(text: str, option: str) -> tuple[str, str]:
    """``"NQ1!=USTEC"`` → ``("NQ1!", "USTEC")``. :raises EditError: no ``=`` or an empty side."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise EditError(f"{option} takes NAME=VALUE, e.g. {option} NQ1!=USTEC; you gave {text!r}.")
    return key.strip(), value.strip()


def symbols(values: Iterable[str]) -> list[str]:
    """Symbols from repeated options, each possibly a comma-separated list (``--allow EURUSD,GBPUSD``)."""
    return [s.strip() for v in values for s in v.split(",") if s.strip()]


def _find(keys: Iterable[str], name: str) -> str | None:
    return next((k for k in keys if k.casefold() == name.casefold()), None)


def edit_mapping(current: dict[str, Any], put: dict[str, Any], remove: list[str], what: str,
                 option: str) -> dict[str, Any]:
    """``current`` without the keys in ``remove`` and with ``put`` set (replacing a key that differs only in
    case). :raises EditError: a key to remove is not there (``what``/``option`` name the setting)."""
    result = dict(current)
    for name in remove:
        key = _find(result, name)
        if key is None:
            held = ", ".join(result) or "nothing"
            raise EditError(f"{name} is not in the {what} (it holds {held}), so {option} {name} cannot remove it.")
        del result[key]
    for name, value in put.items():
        key = _find(result, name)
        if key is not None:
            del result[key]
        result[name] = value
    return result


def edit_list(current: list[str], add: list[str], remove: list[str], what: str, option: str) -> list[str]:
    """``current`` without ``remove`` and with ``add`` appended (no duplicates, case-insensitive).
    :raises EditError: an item to remove is not there."""
    result = list(current)
    for name in remove:
        key = _find(result, name)
        if key is None:
            held = ", ".join(result) or "nothing"
            raise EditError(f"{name} is not in the {what} (it holds {held}), so {option} {name} cannot remove it.")
        result.remove(key)
    for name in add:
        if _find(result, name) is None:
            result.append(name)
    return result


def pip_sizes(pairs: list[str]) -> dict[str, float]:
    """``["XAUUSD=0.1"]`` → ``{"XAUUSD": 0.1}`` (pip size in price units). :raises EditError: not a number > 0."""
    result: dict[str, float] = {}
    for text in pairs:
        name, raw = split_pair(text, "--pip")
        try:
            size = float(raw)
        except ValueError:
            size = 0.0
        if not (size > 0 and math.isfinite(size)):
            raise EditError(f"--pip {text}: the pip size must be a number greater than 0 in price units, "
                            "e.g. --pip XAUUSD=0.1.")
        result[name] = size
    return result
