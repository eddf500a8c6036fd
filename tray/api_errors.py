"""Turning an admin API refusal into one sentence a trader can act on, never JSON.

FastAPI answers a request it cannot validate with ``422 {"detail": [{"loc", "msg", "type", "input", ...}]}``
(pydantic v2 error list; FastAPI docs, "Handling Errors" → "RequestValidationError"), to which tvbridge adds a
``message`` sentence per item (``server/schemas/errors.py``: the wording, with units, lives there; here the field
is only renamed to the option the user typed); every other refusal of ours is ``{"detail": "<sentence>"}``.
:func:`error_sentence` handles both, and anything else, without ever printing a body as it came.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

#: Fields whose values are never echoed back in an error sentence.
_SECRET_WORDS = ("secret", "token", "password")

_ONE_OF = re.compile(r"^String should match pattern '\^\(([\w|]+)\)\$'$")


def error_sentence(status_code: int, body: Any, labels: Mapping[str, str] | None = None) -> str:
    """One or more sentences for an error answer.

    :param status_code: the HTTP status (400-599).
    :param body: the decoded JSON body, or the raw text when it was not JSON.
    :param labels: how the user typed each API field, e.g. ``{"symbol_map": "--map"}``; a field without a
        label is shown as its CLI option (``default_volume`` → ``--default-volume``).
    """
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, list) and detail:
        sentences = [_validation_sentence(e, labels or {}) for e in detail if isinstance(e, dict)]
        return " ".join(dict.fromkeys(s for s in sentences if s)) or _generic(status_code)
    if isinstance(detail, str) and detail.strip():
        return _as_sentence(detail.strip())
    return _generic(status_code)


def _generic(status_code: int) -> str:
    if status_code >= 500:
        return f"tvbridge failed to answer this request (HTTP {status_code}); its log file says why."
    return f"tvbridge refused this request (HTTP {status_code})."


def _as_sentence(text: str) -> str:
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _validation_sentence(error: dict[str, Any], labels: Mapping[str, str]) -> str:
    loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
    msg = str(error.get("msg", "is not valid"))
    if not loc:
        return _as_sentence(f"The request was not understood: {_lower_first(msg)}")
    field, rest = loc[0], loc[1:]
    option = labels.get(field) or "--" + field.replace("_", "-")
    subject = f"The {field.replace('_', ' ')} ({option})"
    if rest:
        subject += f", entry {' '.join(rest)},"
    if error.get("type") == "extra_forbidden":
        return f"{option} is not a setting tvbridge knows."
    if error.get("type") == "missing":
        return f"{subject} is required."
    server_says = str(error.get("message") or "")
    if server_says.startswith(field + " "):
        # The server words the problem (server/schemas/errors.py, with units); we only name the option typed.
        return _as_sentence(subject + server_says[len(field):])
    problem = _problem(msg)
    given = error.get("input")
    if given is None or any(word in field for word in _SECRET_WORDS):
        return _as_sentence(f"{subject} {problem}")
    return _as_sentence(f"{subject} {problem}; you gave {_shown(given)}")


def _shown(value: Any) -> str:
    """A short rendering of what the user gave (long strings cut, so the sentence stays one line)."""
    if isinstance(value, str):
        return repr(value if len(value) <= 30 else value[:27] + "...") + (
            f" ({len(value)} characters)" if len(value) > 30 else "")
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _problem(msg: str) -> str:
    """A pydantic message as the rest of a sentence whose subject is the field."""
    one_of = _ONE_OF.match(msg)
    if one_of:
        return "must be one of " + ", ".join(one_of.group(1).split("|"))
    for prefix in ("Input ", "String ", "Value "):
        if msg.startswith(prefix + "should"):
            return msg[len(prefix):]
    if msg.startswith("Value error, "):
        return "was refused: " + _lower_first(msg[len("Value error, "):])
    return "is not valid: " + _lower_first(msg)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
