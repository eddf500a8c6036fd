"""Error answers of the admin API, each with a sentence a trader can act on.

- ``422``: FastAPI's ``detail`` list is kept as it is (``type``, ``loc``, ``msg``, ``input``, ``ctx``) so generic
  clients keep working; every item gains ``message``, a sentence naming the field, the limit and its unit
  ("max_signal_age_seconds must be at most 86,400 seconds; you sent 1000000000000."), and the answer gains a
  top-level ``message`` that sums them up. The dashboard and the CLI show ``message``.
- ``400``: a body that is not text at all (not UTF-8) gets a sentence instead of FastAPI's "There was an error
  parsing the body".
- ``405``: ``Allow`` lists every method of the path (Starlette lists only the first route's methods).
- Every other error is ``{"detail": "<sentence>"}`` (:class:`ErrorPublic`).

Answers are rendered with ASCII escapes, so an input holding an unpaired surrogate (valid JSON, not valid UTF-8)
is echoed back instead of failing the answer with 500.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from server.schemas.bounds import (
    AGENT_ID_PATTERN,
    CLOCK_TIME_PATTERN,
    NOTIFY_URL_PATTERN,
    SESSION_PATTERN,
    VISIBLE_TEXT_PATTERN,
)

#: Units of bounded fields, by field name, used in the sentences ("at most 86,400 seconds").
FIELD_UNITS: dict[str, str] = {
    "max_signal_age_seconds": "seconds",
    "dedup_window_seconds": "seconds",
    "default_volume": "lots",
    "max_lots": "lots",
    "risk_override_pct": "%",
    "daily_loss_limit_pct": "%",
    "pip_sizes": "(price units)",
    "max_open_positions": "positions",
    "max_trades_per_day": "trades",
    "rate_limit_per_second": "alerts",
    "rate_limit_per_minute": "alerts",
    "max_hold_minutes": "minutes",
    "max_entries_per_direction": "entries",
    "wait": "seconds",
}

#: Write-only fields (secrets): a refusal never echoes their value back (server/schemas/strategies.py,
#: server/schemas/notifications.py).
WRITE_ONLY = frozenset({"signing_secret", "urls"})

#: What a pattern means, in words.
PATTERN_WORDS: dict[str, str] = {
    AGENT_ID_PATTERN: "may hold only letters, digits, '.', '_' and '-', and must start with a letter or digit",
    VISIBLE_TEXT_PATTERN: "must show a visible character and hold no control characters (tabs, line breaks)",
    NOTIFY_URL_PATTERN: "must be a notification URL such as tgram://bottoken/chatid (scheme://..., no spaces)",
    CLOCK_TIME_PATTERN: "must be a time of day as HH:MM, 00:00 to 23:59",
    SESSION_PATTERN: "must be two times of day as HH:MM-HH:MM, such as 08:00-17:00 (22:00-06:00 crosses midnight)",
}

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

BODY_NOT_TEXT = (
    "The request body could not be read: send UTF-8 encoded JSON with the header Content-Type: application/json."
)


class ErrorPublic(BaseModel):
    """An error answer: ``detail`` is a sentence saying what went wrong and what to do."""

    detail: str = Field(description="What went wrong and what to do about it, in one or two sentences.")


class ValidationIssue(BaseModel):
    """One refused field, as FastAPI reports it, plus ``message``: the same in a sentence."""

    type: str = Field(description="Pydantic's error type, e.g. `less_than_equal`, `missing`, `int_type`.")
    loc: list[str | int] = Field(description="Where the value is: `body`/`query`/`path`, then the field's path.")
    msg: str = Field(description="Pydantic's short message.")
    message: str = Field(description="A sentence naming the field, the rule it broke and the value sent.")
    input: Any = Field(default=None, description="The value that was refused.")
    ctx: dict[str, Any] | None = Field(default=None, description="The rule's parameters, e.g. `{\"le\": 86400}`.")


class ValidationErrorPublic(BaseModel):
    """A request refused because of its values (422): one sentence for all, one issue per field."""

    message: str = Field(description="Every problem of the request in one or more sentences.")
    detail: list[ValidationIssue] = Field(description="One entry per refused value.")


#: OpenAPI ``responses`` entries shared by the admin routes.
UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorPublic, "description": "No admin token, or a wrong one (`Authorization: Bearer <token>`)."},
    403: {"model": ErrorPublic, "description": "The Host header is not a loopback name (DNS rebinding guard)."},
}
INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": ValidationErrorPublic, "description": "A value is missing, of the wrong type or out of bounds."},
}
BAD_BODY: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorPublic, "description": "The body is not UTF-8 text."},
}


def refusals(described: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entries of refusals a route answers with an :class:`ErrorPublic` sentence, e.g.
    ``refusals({404: "No such strategy.", 409: "Trades in several currencies."})``."""
    return {code: {"model": ErrorPublic, "description": text} for code, text in described.items()}


def not_found(what: str) -> dict[int | str, dict[str, Any]]:
    """The ``404`` entry of a route that reads one ``what`` by id."""
    return {404: {"model": ErrorPublic, "description": f"No {what} with that id."}}


def _plain(value: Any) -> Any:
    """``value`` made JSON-safe (pydantic puts exception objects and other types into ``ctx``)."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _number(value: Any, unit: str | None) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    text = f"{value:,}" if isinstance(value, int) else f"{value:g}" if isinstance(value, float) else str(value)
    if not unit:
        return text
    if unit == "%":
        return f"{text}%"
    return f"{text} {unit.removesuffix('s') if value == 1 and unit in ('seconds', 'positions', 'trades') else unit}"


def _shown(value: Any, limit: int = 60) -> str:
    """The refused value as it would look in JSON, cut to ``limit`` characters."""
    try:
        text = json.dumps(value, ensure_ascii=True, default=str)
    except ValueError:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _field(loc: Sequence[str | int]) -> tuple[str, str | None]:
    """The field's name for a sentence, and the bounded field it belongs to (for its unit)."""
    where, *path = loc or ("body",)
    if not path:
        return ("the request body" if where == "body" else str(where)), None
    names = [str(p) for p in path if p != "[key]"]
    name = ".".join(names)
    base = str(path[0])
    if where == "query":
        name = f"the query parameter {name}"
    elif where == "path":
        name = f"{name} in the URL"
    elif where == "header":
        name = f"the header {name}"
    if path[-1] == "[key]":
        name = f"a key of {name}"
    return name, base


def sentence(error: dict[str, Any]) -> str:  # noqa: C901 - one flat table of error types
    """A sentence for one pydantic error (``type``, ``loc``, ``msg``, ``input``, ``ctx``)."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    given = error.get("input")
    name, base = _field(error.get("loc") or ())
    unit = FIELD_UNITS.get(base or "")
    sent = "" if base in WRITE_ONLY else f"; you sent {_shown(given)}"
    if kind == "missing":
        return f"{name} is required."
    if kind == "extra_forbidden":
        return f"{name} is not a field of this request; check its spelling or remove it."
    if kind == "json_invalid":
        return f"The body is not valid JSON ({ctx.get('error', 'syntax error')} at character {name.split('.')[-1]})."
    if given is None and "input" in error:
        return f"{name} cannot be null: send a value, or leave the field out to keep its current or default value."
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = next(iter(ctx.values()), "?")
        words = {
            "greater_than": "more than",
            "greater_than_equal": "at least",
            "less_than": "less than",
            "less_than_equal": "at most",
        }[kind]
        return f"{name} must be {words} {_number(bound, unit)}{sent}."
    if kind in ("string_too_short", "string_too_long"):
        count = ctx.get("min_length", ctx.get("max_length"))
        words = "at least" if kind == "string_too_short" else "at most"
        return f"{name} must be {words} {count} character{'s' if count != 1 else ''} long{sent}."
    if kind in ("too_short", "too_long"):
        count = ctx.get("min_length", ctx.get("max_length"))
        words = "at least" if kind == "too_short" else "at most"
        return f"{name} must hold {words} {count} entr{'ies' if count != 1 else 'y'}."
    if kind in ("enum", "literal_error"):
        return f"{name} must be one of {ctx.get('expected', '?')}{sent}."
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return f"{name} {PATTERN_WORDS.get(pattern, 'must match ' + pattern)}{sent}."
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{name} must be a whole number{sent}."
    if kind in ("float_type", "float_parsing"):
        return f"{name} must be a number{sent}."
    if kind == "finite_number":
        return f"{name} must be a finite number{sent}."
    if kind in ("bool_type", "bool_parsing"):
        return f"{name} must be true or false{sent}."
    if kind == "string_type":
        return f"{name} must be text{sent}."
    if kind == "string_unicode":
        return f"{name} holds an unpaired surrogate (\\u escape), which is not a character; fix the text."
    if kind in ("list_type", "set_type", "tuple_type"):
        return f"{name} must be a list{sent}."
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        what = "a JSON object" if base is None else "an object of names to values"
        return f"{name} must be {what}{sent}."
    if kind == "too_big" or kind == "int_too_big":
        return f"{name} is too large{sent}."
    reason = str(ctx.get("reason") or error.get("msg") or "is not valid").removeprefix("Value error, ")
    return f"{name} {reason}{sent}."


def summary(sentences: Sequence[str]) -> str:
    """All sentences of a refused request in one message."""
    if len(sentences) == 1:
        return f"The request was not accepted: {sentences[0]}"
    joined = " ".join(f"({i}) {s}" for i, s in enumerate(sentences, 1))
    return f"The request was not accepted ({len(sentences)} problems): {joined}"


class AsciiJSONResponse(JSONResponse):
    """JSON with non-ASCII characters escaped: an echoed unpaired surrogate cannot break the answer."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def validation_body(errors: Sequence[Any]) -> dict[str, Any]:
    """The 422 answer for pydantic ``errors`` (:class:`ValidationErrorPublic` as a dict)."""
    issues = []
    for raw in errors:
        item = {k: _plain(v) for k, v in dict(raw).items() if k in ("type", "loc", "msg", "input", "ctx")}
        if _field(item.get("loc") or ())[1] in WRITE_ONLY:
            item["input"] = "(hidden: a secret)"
        item["message"] = sentence(dict(raw))
        issues.append(item)
    return {"message": summary([i["message"] for i in issues]), "detail": issues}


async def _on_validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return AsciiJSONResponse(validation_body(exc.errors()), status_code=422)


async def _on_bad_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = BODY_NOT_TEXT if exc.detail == "There was an error parsing the body" else exc.detail
    return AsciiJSONResponse({"detail": detail}, status_code=400, headers=exc.headers)


async def _on_method_not_allowed(request: Request, exc: Exception) -> JSONResponse:
    routes = request.app.router.routes
    allow = ", ".join(
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)
    )
    return AsciiJSONResponse(
        {"detail": f"{request.method} is not allowed on {request.url.path}; use {allow}."},
        status_code=405,
        headers={"Allow": allow},
    )


def install_error_handlers(app: FastAPI) -> None:
    """Give ``app`` the sentence-carrying 400/405/422 answers described in this module."""
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(400, _on_bad_request)
    app.add_exception_handler(405, _on_method_not_allowed)
