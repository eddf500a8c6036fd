"""Commands aimed at a running instance: ``pause``, ``resume``, ``send``, and :class:`Remote`, the admin API
client every such command uses (``strategy ...`` lives in :mod:`tray.cli_strategy`, ``signals`` in
:mod:`tray.cli_signals`).

The running instance is found through ``runtime.json`` in the data folder (its real ports, even when it was
started on port 0), else the configured admin port. Exit codes shared by these commands:
0 done; 1 refused by tvbridge (the sentence says why) or, for ``send``, the alert was not executed;
2 a mistake in the command line; 3 tvbridge is not running (the LSB "program is not running" status code).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Annotated, Any, NoReturn

import httpx
import typer

from tray.api_errors import error_sentence
from tray.cli_common import DataDir, app, cli_settings

EXIT_REFUSED = 1
EXIT_NOT_RUNNING = 3


def not_running_sentence(data_dir: Path | None) -> str:
    """What to tell someone whose command found no running tvbridge (and how to start one)."""
    run = "tvbridge run" + (f' --data-dir "{data_dir}"' if data_dir is not None else "")
    return (f"tvbridge is not running. Start it with `{run}` (or from the Start Menu on Windows), "
            "then try again.")


class Remote:
    """A running tvbridge's admin API, for one CLI command (use it as a context manager).

    Every failure ends the command with a sentence on stderr and an exit code (see the module docstring):
    the caller never sees an exception or a JSON error body.

    :raises typer.Exit: (3) at construction when this data folder has no admin token (never started).
    """

    def __init__(self, data_dir: Path | None, *, timeout: float = 10.0) -> None:
        settings, paths = cli_settings(data_dir)
        self.data_dir = data_dir
        self._token_file = paths.data_dir / "admin-token"
        try:
            token = self._token_file.read_text(encoding="ascii").strip()
        except OSError:
            fail(not_running_sentence(data_dir), EXIT_NOT_RUNNING)
        self.base_url = _running_admin_url(paths.data_dir) or settings.admin_url
        self._http = httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {token}"},
                                  timeout=timeout)

    def __enter__(self) -> Remote:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._http.close()

    def call(self, method: str, path: str, *, labels: Mapping[str, str] | None = None, missing_ok: bool = False,
             **kwargs: Any) -> Any:
        """Send one request and return the decoded JSON answer (``None`` when empty).

        :param labels: how the user typed API fields (``{"symbol_map": "--map"}``), for 422 sentences.
        :param missing_ok: answer ``None`` for a 404 instead of ending the command.
        :raises typer.Exit: 3 when tvbridge does not answer at all, 1 when it refuses (the sentence printed).
        """
        try:
            resp = self._http.request(method, path, **kwargs)
        except httpx.ConnectError as exc:
            fail(not_running_sentence(self.data_dir), EXIT_NOT_RUNNING, exc)
        except httpx.TransportError as exc:
            fail(f"tvbridge at {self.base_url} did not answer ({type(exc).__name__}); it may be stopping. "
                 "Try again, or run `tvbridge doctor`.", EXIT_NOT_RUNNING, exc)
        if resp.status_code == 401:
            fail(f"The running tvbridge refused the admin token in {self._token_file}: another tvbridge may be "
                 "using this admin port. Run `tvbridge doctor`.", EXIT_REFUSED)
        if resp.status_code == 404 and missing_ok:
            return None
        if resp.status_code >= 400:
            fail(error_sentence(resp.status_code, _body(resp), labels), EXIT_REFUSED)
        return resp.json() if resp.content else None


def fail(sentence: str, code: int, cause: BaseException | None = None) -> NoReturn:
    """Print ``sentence`` on stderr and end the command with exit ``code``. Never returns."""
    typer.echo(sentence, err=True)
    raise typer.Exit(code) from cause


def _body(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return resp.text


def _running_admin_url(data_dir: Path) -> str | None:
    """The admin URL a running instance wrote in ``runtime.json`` (right even when it uses port 0)."""
    from tray.runtime import RUNTIME_FILE

    try:
        doc = json.loads((data_dir / RUNTIME_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    url = doc.get("admin_url") if isinstance(doc, dict) else None
    return str(url) if url else None


# -- dashboard ------------------------------------------------------------------------------------------


@app.command()
def dashboard(
    data_dir: DataDir = None,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Only print the link (e.g. on a VPS).")] = False,
) -> None:
    """Open the dashboard in your browser, signed in: asks the running tvbridge for a one-time sign-in link."""
    import webbrowser

    with Remote(data_dir) as remote:
        link = remote.call("POST", "/api/v1/auth/sign-in-links")
    typer.echo(f"Dashboard sign-in link (works once, within {link['expires_in_seconds']:.0f} s):")
    typer.echo(f"  {link['url']}")
    if not no_browser and not webbrowser.open(link["url"]):
        typer.echo("No browser could be opened here: open the link above in a browser on this computer.")


# -- pause and resume -----------------------------------------------------------------------------------


@app.command()
def pause(data_dir: DataDir = None) -> None:
    """Pause all trading: every alert is logged as discarded until `tvbridge resume`."""
    with Remote(data_dir) as remote:
        remote.call("PATCH", "/api/v1/settings", json={"trading_paused": True})
    typer.echo("All trading is paused: every alert is logged as discarded until you run `tvbridge resume`.")


@app.command()
def resume(data_dir: DataDir = None) -> None:
    """Resume trading after `tvbridge pause` (or the tray's or the dashboard's pause)."""
    with Remote(data_dir) as remote:
        remote.call("PATCH", "/api/v1/settings", json={"trading_paused": False})
    typer.echo("Trading resumed: alerts are traded again.")


# -- send -----------------------------------------------------------------------------------------------


@app.command()
def send(
    strategy: Annotated[str, typer.Argument(help="The strategy's id or name (see `tvbridge strategy list`).")],
    message: Annotated[str | None, typer.Argument(help="The alert message, as TradingView would send it.")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Read the message from this file.")] = None,
    wait: Annotated[float, typer.Option(help="Seconds to wait for the outcome.", min=0)] = 15.0,
    data_dir: DataDir = None,
) -> None:
    """Post a test alert to a strategy's webhook URL, exactly as TradingView would, and print the outcome.

    Exit code 0 only when the alert was executed; 1 for every other outcome (or none within --wait).
    """
    from tray.cli_strategy import find_strategy

    if (message is None) == (file is None):
        fail("Give the alert message as an argument or with --file.", 2)
    body = file.read_bytes() if file else (message or "").encode()
    with Remote(data_dir) as remote:
        found = find_strategy(remote, strategy)
        answer = _post_alert(found["webhook_url"], body)
        signal_id = answer.get("signal_id")
        typer.echo(f"HTTP 200: signal #{signal_id} {answer.get('status')}")
        if signal_id is None:
            fail("The webhook URL was not recognised, so nothing was stored. Check it with "
                 "`tvbridge strategy show`.", EXIT_REFUSED)
        final = _wait_final(remote, signal_id, wait)
    if final["status"] == "pending":
        fail(f"outcome: still pending after {wait:g} s. Watch it with `tvbridge signals --follow`.", EXIT_REFUSED)
    if final["status"] == "awaiting_approval":
        fail(f"outcome: awaiting your approval (the strategy asks first): `tvbridge signals approve {signal_id}` "
             f"trades it, `tvbridge signals reject {signal_id}` drops it.", EXIT_REFUSED)
    typer.echo(f"outcome: {final['status']}" + (f" - {final['error_message']}" if final.get("error_message") else ""))
    for order in final.get("orders", []):
        typer.echo(
            f"  {order['type']} {order['volume']} {order['symbol']} @ {order['price']} ticket {order['order_ticket']}"
        )
    if final["status"] != "executed":
        raise typer.Exit(EXIT_REFUSED)


def _post_alert(url: str, body: bytes) -> dict[str, Any]:
    """Post ``body`` to a webhook URL as TradingView does; the answer ``{signal_id, status}``."""
    try:
        resp = httpx.post(url, content=body, headers={"Content-Type": "text/plain"}, timeout=10)
    except httpx.TransportError as exc:
        fail(f"Could not reach the webhook URL ({type(exc).__name__}): is the tunnel online? "
             "`tvbridge doctor` checks it.", EXIT_REFUSED, exc)
    answer = _body(resp)
    if resp.status_code != 200 or not isinstance(answer, dict):
        fail(f"The webhook answered HTTP {resp.status_code}: {error_sentence(resp.status_code, answer)}",
             EXIT_REFUSED)
    return answer


def _wait_final(remote: Remote, signal_id: int, timeout: float) -> dict[str, Any]:
    """The signal once it has left ``pending``, or as it is after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        sig: dict[str, Any] = remote.call("GET", f"/api/v1/signals/{signal_id}")
        if sig["status"] != "pending" or time.monotonic() >= deadline:
            return sig
        time.sleep(0.1)
