"""The dashboard and the OpenAPI agree: every request the pages make is an operation of the public admin API.

The pages reach the server only through ``server/static/app/api.js`` (its ``request``/``get`` helpers, the one
``fetch`` of the app); this test reads every call there and finds it in a running tvbridge's ``/openapi.json``, so a
page cannot depend on a route the API does not document (issue 11).
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.conftest import Live

APP = Path(__file__).resolve().parents[2] / "server" / "static" / "app"

#: ``request("PATCH", `/strategies/${id}`, ...)`` and ``get("/signals" + query(...))``.
_REQUEST = re.compile(r"""request\("([A-Z]+)",\s*([`"])(/[^`"]*)\2""")
_GET = re.compile(r"""\bget\(([`"])(/[^`"]*)\1""")


def _shape(path: str) -> str:
    """A path with its query cut and every parameter written ``{}`` (``/strategies/${id}`` -> ``/strategies/{}``)."""
    path = path.split("?", 1)[0]
    return re.sub(r"\$\{[^}]*\}|\{[^}]*\}", "{}", path)


def _calls() -> set[tuple[str, str]]:
    text = (APP / "api.js").read_text(encoding="utf-8")
    calls = {(m[0], _shape(m[2])) for m in _REQUEST.findall(text)}
    calls |= {("GET", _shape(m[1])) for m in _GET.findall(text)}
    return calls


def test_the_pages_fetch_only_through_the_api_module() -> None:
    pages = [*APP.glob("*.js"), *APP.glob("pages/*.js")]
    fetching = sorted(p.name for p in pages if "fetch(" in p.read_text(encoding="utf-8") and p.name != "api.js")
    assert fetching == []
    assert len(_calls()) >= 30  # the reader below finds the calls (a changed helper name would make this vacuous)


def test_every_request_of_the_dashboard_is_a_documented_admin_operation(shared_live: Live) -> None:
    spec = shared_live.admin.get("/openapi.json").json()
    documented = {
        (method.upper(), _shape(path.removeprefix("/api/v1")))
        for path, item in spec["paths"].items()
        if path.startswith("/api/v1/")
        for method in item
    }
    assert sorted(_calls() - documented) == []
