"""The simulator-only control API: configure the terminal, move prices, script failures.

None of this exists in the ``MetaTrader5`` package; it is the paper broker's and the tests' handle on the
simulated terminal, and it never appears on the module surface (``agent.mt5sim``). Every function takes the
same lock as the module functions, so it is safe to call from another thread while the agent trades.

Typical test set-up::

    from agent.mt5sim import control
    import agent.mt5sim as mt5

    control.reset()
    control.configure(tmp_path, margin_mode="hedging", balance=5_000.0)
    mt5.initialize()
    control.set_quote("EURUSD", 1.10000)          # ask = bid + typical spread
    control.inject_fault("timeout", executed=True)  # next order_send: 10012, but the deal happened
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.mt5.flags import SymbolFilling
from agent.mt5sim import constants as c
from agent.mt5sim import engine, pending
from agent.mt5sim.catalogue import SPEC_FIELDS
from agent.mt5sim.engine import FAULT_KINDS
from agent.mt5sim.ledger import balance_deal
from agent.mt5sim.requests import Request
from agent.mt5sim.runtime import SIM, Fault
from agent.mt5sim.session import INIT_FAILURES

_AMBIGUOUS_FAULTS = ("timeout", "ipc_recv")


def configure(
    state_dir: Path | None = None,
    *,
    margin_mode: str = "netting",
    balance: float = 10_000.0,
    currency: str = "USD",
    leverage: int = 100,
    symbol_suffix: str = "",
    login: int = 5_000_001,
    server: str = "TVBridge-Simulator",
    latency_ms: float = 0,
) -> None:
    """Set up a fresh simulated terminal and account; the Python side must then call ``initialize()``.

    :param state_dir: folder for the saved book (``mt5sim-<login>.json``); ``None`` keeps it in memory.
    :param margin_mode: ``"netting"``, ``"exchange"`` (netting rules) or ``"hedging"``.
    :param balance: initial deposit in ``currency``, recorded as a DEAL_TYPE_BALANCE deal.
    :param currency: account currency; any currency of the catalogue's FX pairs (USD, EUR, GBP, JPY, ...).
    :param leverage: account leverage (``1:leverage``) for FOREX margin.
    :param symbol_suffix: broker suffix added to every symbol name (``".a"``: ``EURUSD.a``).
    :param login: account number; selects the state file.
    :param server: trade server name (``AccountInfo.server``).
    :param latency_ms: simulated broker round trip inside ``order_send``, in milliseconds.

    When ``state_dir`` already holds a book for ``login``, **the saved book wins**: its account (margin mode,
    balance, currency, leverage, server), symbol suffix, positions, orders, deals, last quotes and ticket
    counters are restored, and the corresponding arguments are ignored, just as a real account does not
    change when the terminal restarts. Delete the file to start over.

    A saved book that cannot be read is set aside (``<file>.damaged-<time>``, with a sentence in the log) and
    the account starts fresh: a damaged file never stops the agent from starting.

    :raises ValueError: for an unknown margin mode, leverage < 1 or a negative balance.
    :raises KeyError: for an account currency no catalogue FX pair converts.
    """
    SIM.configure(
        state_dir, margin_mode=margin_mode, balance=balance, currency=currency, leverage=leverage,
        symbol_suffix=symbol_suffix, login=login, server=server, latency_ms=latency_ms,
    )


def reset() -> None:
    """Forget everything: a fresh, unconfigured simulator with no IPC connection (state files stay on disk)."""
    SIM.reset()


def state_path() -> Path | None:
    """The file the book is saved to, or ``None`` when the simulator runs in memory."""
    with SIM.lock:
        return SIM.state_path


def set_quote(symbol: str, bid: float, ask: float | None = None) -> None:
    """Move the market of ``symbol`` to ``bid``/``ask`` (rounded to the symbol's digits).

    ``ask`` defaults to ``bid`` plus the symbol's typical spread. The new quote fills triggered pending
    orders, closes positions whose SL/TP it reaches (deal reasons SL/TP), expires pending orders whose
    lifetime is over, and moves floating profit and equity. Persisted with the book.

    :raises KeyError: for a symbol not in the catalogue (use the broker name, suffix included).
    :raises ValueError: for a non-positive bid or an ask below the bid.
    """
    with SIM.lock:
        SIM.ensure_configured()
        spec = SIM.symbols[symbol]
        new_bid = round(float(bid), spec.digits)
        new_ask = round(float(ask) if ask is not None else new_bid + spec.spread * spec.point, spec.digits)
        if new_bid <= 0 or new_ask < new_bid:
            raise ValueError(f"invalid quote for {symbol}: bid {bid}, ask {ask}")
        SIM.book.quotes[symbol] = [new_bid, new_ask]
        SIM.first_tick_at.pop(symbol, None)  # a quote is a tick: a symbol waiting for its first one has it now
        pending.on_quote(SIM, symbol)
        SIM.changed()


def inject_fault(kind: str, count: int = 1, *, executed: bool = False) -> None:
    """Make the next ``count`` ``order_send`` calls fail with ``kind`` (queued after earlier faults).

    Kinds returning a result: ``"requote"`` (10004, with the current bid/ask), ``"price_changed"`` (10020),
    ``"price_off"`` (10021), ``"timeout"`` (10012), ``"too_many_requests"`` (10024), ``"connection"``
    (10031), ``"market_closed"`` (10018). Kinds returning ``None``: ``"ipc_send"`` (-10001 'IPC send failed')
    and ``"ipc_recv"`` (-10002 'IPC recv failed').

    :param executed: for ``"timeout"`` and ``"ipc_recv"`` only: the trade really happens on the server
        before the failure is reported, the ambiguous case a bridge must reconcile (mt5-api §3.2).
    :raises ValueError: for an unknown kind, ``count`` < 1, or ``executed`` with another kind.
    """
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault {kind!r}; expected one of {sorted(FAULT_KINDS)}")
    if count < 1:
        raise ValueError("count must be >= 1")
    if executed and kind not in _AMBIGUOUS_FAULTS:
        raise ValueError(f"executed=True only applies to {_AMBIGUOUS_FAULTS}")
    with SIM.lock:
        SIM.faults.extend(Fault(kind, executed) for _ in range(count))


def clear_faults() -> None:
    """Drop every fault not yet consumed."""
    with SIM.lock:
        SIM.faults.clear()


def set_terminal(
    *,
    trade_allowed: bool | None = None,
    connected: bool | None = None,
    tradeapi_disabled: bool | None = None,
    latency_ms: float | None = None,
    first_tick_ms: float | None = None,
) -> None:
    """Flip terminal switches (``None`` leaves one unchanged); shown by ``terminal_info()``.

    ``trade_allowed=False`` is the Algo Trading button off (order_send -> 10027); ``connected=False`` a lost
    broker link (order_send -> 10031, initialize -> -10005); ``tradeapi_disabled=True`` the terminal option
    that blocks the Python API (order_send -> None, -8); ``latency_ms`` the order_send round trip;
    ``first_tick_ms`` how long a symbol just added to Market Watch has no tick (all-zero ``symbol_info_tick``,
    order_send -> 10021).
    """
    with SIM.lock:
        terminal = SIM.terminal
        if trade_allowed is not None:
            terminal.trade_allowed = trade_allowed
        if connected is not None:
            terminal.connected = connected
        if tradeapi_disabled is not None:
            terminal.tradeapi_disabled = tradeapi_disabled
        if latency_ms is not None:
            terminal.latency_ms = float(latency_ms)
        if first_tick_ms is not None:
            terminal.first_tick_ms = float(first_tick_ms)


def set_initialize_failure(kind: str | None) -> None:
    """Make ``initialize()`` (and, for auth kinds, ``login()``) fail until cleared with ``None``.

    Kinds: ``"not_found"`` (-10003 'IPC initialize failed, MetaTrader 5 x64 not found'), ``"pipe_timeout"``
    (-10003 "... Pipe server didn't answer in 60 sec"), ``"version"`` (-5), ``"auth_failed"`` (-6),
    ``"otp_required"`` (-7), ``"timeout"`` (-10005 'IPC timeout').

    :raises ValueError: for an unknown kind.
    """
    if kind is not None and kind not in INIT_FAILURES:
        raise ValueError(f"unknown initialize failure {kind!r}; expected one of {sorted(INIT_FAILURES)}")
    with SIM.lock:
        SIM.terminal.init_failure = kind


def set_symbol(name: str, **overrides: Any) -> None:
    """Change spec fields of symbol ``name``: any :class:`~agent.mt5sim.catalogue.SimSymbol` field, e.g.
    ``trade_mode=0``, ``filling_mode=2``, ``trade_stops_level=30``, ``trade_freeze_level=5``,
    ``volume_limit=1.0``, ``market_open=False``, ``select=True``, ``commission_per_lot=3.5``.
    Overrides last until ``configure``/``reset`` and are not persisted.

    :raises KeyError: for an unknown symbol.
    :raises TypeError: for an unknown field or a value of the wrong type.
    """
    with SIM.lock:
        SIM.ensure_configured()
        spec = SIM.symbols[name]
        for field, value in overrides.items():
            if field not in SPEC_FIELDS:
                raise TypeError(f"unknown symbol field {field!r}")
            current = getattr(spec, field)
            if isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if type(value) is not type(current):
                raise TypeError(f"{field} must be {type(current).__name__}, not {type(value).__name__}")
            setattr(spec, field, value)


def set_account(
    *,
    trade_allowed: bool | None = None,
    trade_expert: bool | None = None,
    fifo_close: bool | None = None,
    hedge_prohibited: bool | None = None,
    limit_orders: int | None = None,
) -> None:
    """Change account rules (``None`` leaves one unchanged); persisted with the book.

    ``trade_allowed=False`` is an investor (read-only) login (order_send -> 10017); ``trade_expert=False``
    a broker that forbids algo trading (10026); ``fifo_close`` the US FIFO rule on hedging accounts (10045);
    ``hedge_prohibited`` forbids opposite positions (10046); ``limit_orders`` caps pending orders (10033).
    """
    with SIM.lock:
        SIM.ensure_configured()
        account = SIM.book.account
        for field, value in (
            ("trade_allowed", trade_allowed),
            ("trade_expert", trade_expert),
            ("fifo_close", fifo_close),
            ("hedge_prohibited", hedge_prohibited),
            ("limit_orders", limit_orders),
        ):
            if value is not None:
                setattr(account, field, value)
        SIM.changed()


def deposit(amount: float, comment: str = "Deposit") -> None:
    """Add ``amount`` (negative: withdraw) to the balance as a DEAL_TYPE_BALANCE deal, in account currency."""
    with SIM.lock:
        SIM.ensure_configured()
        balance_deal(SIM.book, amount, comment, SIM.now_msc())
        SIM.changed()


def set_time_offset(seconds: int) -> None:
    """Run the server clock ``seconds`` ahead of UTC (negative: behind). Real servers often run at UTC+2/+3,
    which hides the latest deals from history queries that end at "now" in UTC (mt5-api §1.6)."""
    with SIM.lock:
        SIM.time_offset_s = int(seconds)


def manual_trade(
    symbol: str,
    side: str,
    volume: float,
    *,
    position: int = 0,
    magic: int = 0,
    comment: str = "",
    sl: float = 0.0,
    tp: float = 0.0,
) -> tuple[int, int, int]:
    """A market deal made by hand in the terminal's trade window (deal reason DEAL_REASON_CLIENT, magic 0 unless
    ``magic`` names another EA): ``side`` ``"buy"``/``"sell"``, ``volume`` lots, ``position`` the ticket it
    closes (0: none; on netting the deal acts on the symbol's position anyway). The filling mode is the one the
    terminal would choose (FOK, else IOC). Returns ``(retcode, deal ticket, order ticket)``.

    :raises KeyError: unknown symbol. :raises ValueError: a side other than buy/sell.
    """
    if side not in ("buy", "sell"):
        raise ValueError(f"side must be buy or sell, not {side!r}")
    with SIM.lock:
        SIM.ensure_configured()
        spec = SIM.symbols[symbol]
        bid, ask = SIM.quote(symbol)
        fok = bool(spec.filling_mode & SymbolFilling.FOK) or spec.trade_exemode in (
            c.SYMBOL_TRADE_EXECUTION_INSTANT, c.SYMBOL_TRADE_EXECUTION_REQUEST
        )
        request = Request(
            action=c.TRADE_ACTION_DEAL, magic=int(magic), symbol=symbol, volume=float(volume),
            price=ask if side == "buy" else bid, sl=float(sl), tp=float(tp), deviation=100,
            type=c.ORDER_TYPE_BUY if side == "buy" else c.ORDER_TYPE_SELL,
            type_filling=c.ORDER_FILLING_FOK if fok else c.ORDER_FILLING_IOC, comment=comment, position=int(position),
        )
        result = engine.execute(SIM, request, c.DEAL_REASON_CLIENT)
        return int(result.retcode), int(result.deal), int(result.order)


def stop_out(*, force: bool = True) -> int:
    """The trade server's stop-out now: with ``force`` the position with the largest floating loss is closed
    whatever the margin level (then any others while the level stays below the stop-out level), without it only
    while the level is below it. Deals carry DEAL_REASON_SO. Returns how many positions were closed."""
    with SIM.lock:
        SIM.ensure_configured()
        closed = pending.margin_call(SIM, force=force)
        SIM.changed()
        return closed
