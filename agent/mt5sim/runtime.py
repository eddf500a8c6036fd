"""The one simulated terminal per process: its book, symbols, quotes, terminal flags, faults and lock.

The real package keeps one process-global pipe handle and one last-error value and never releases the GIL
during a call (mt5-api §5.1), so every call is serialized. The simulator reproduces that with one re-entrant
lock held for the whole call, including the simulated ``latency_ms`` round trip of ``order_send``.

Server time is epoch seconds in UTC plus an optional offset (``control.set_time_offset``). Real trade servers
often run their clock ahead of UTC (e.g. UTC+2/+3), so history queries ending at "now" in UTC can miss the
latest deals (mt5-api §1.6); a non-zero offset reproduces that.

Nothing here does work at import: the module creates an empty, unconfigured simulator object only.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from agent.mt5sim import constants as c
from agent.mt5sim import state
from agent.mt5sim.catalogue import SimSymbol, build_catalogue
from agent.mt5sim.errors import LastError
from agent.mt5sim.ledger import balance_deal
from agent.mt5sim.pricing import Market
from agent.mt5sim.state import Account, Book

MARGIN_MODES = {
    "netting": c.ACCOUNT_MARGIN_MODE_RETAIL_NETTING,
    "exchange": c.ACCOUNT_MARGIN_MODE_EXCHANGE,
    "hedging": c.ACCOUNT_MARGIN_MODE_RETAIL_HEDGING,
}


@dataclass
class Terminal:
    """Terminal-side switches: the Algo Trading button, the broker link, the Python-API option, latency.

    ``init_failure`` names the way ``initialize()`` fails (see ``control.set_initialize_failure``).
    ``first_tick_ms`` is how long a symbol just added to Market Watch goes without a tick (a real terminal has
    none until the broker sends one: mt5-api §1.5 "then wait until a non-zero tick arrives").
    """

    trade_allowed: bool = True
    connected: bool = True
    tradeapi_disabled: bool = False
    latency_ms: float = 0.0
    init_failure: str | None = None
    first_tick_ms: float = 50.0


@dataclass(frozen=True)
class Fault:
    """One scripted ``order_send`` failure; ``executed`` says whether the trade went through anyway."""

    kind: str
    executed: bool = False


class Simulator:
    """All simulator state. Use the module-level :data:`SIM`; tests reset it with ``control.reset()``."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.error = LastError()
        self._fresh()

    def _fresh(self) -> None:
        self.configured = False
        self.state_path: Path | None = None
        self.ipc = False
        self.book = Book(Account(5_000_001, "TVBridge-Simulator", "USD", 100, 0, 10_000.0))
        self.symbols: dict[str, SimSymbol] = build_catalogue("")
        self.terminal = Terminal()
        self.faults: deque[Fault] = deque()
        self.time_offset_s = 0
        #: DEAL_REASON_* of the requests being sent: EXPERT for the Python API, CLIENT while the desk trades by
        #: hand (agent.mt5sim.desk).
        self.deal_reason = c.DEAL_REASON_EXPERT
        self.request_id = 0
        self.book_subscriptions: set[str] = set()
        #: symbol -> ``time.monotonic()`` when its first tick arrives (symbols just added to Market Watch).
        self.first_tick_at: dict[str, float] = {}

    def reset(self) -> None:
        """Back to a fresh, unconfigured simulator with no IPC connection."""
        with self.lock:
            self._fresh()
            self.error.reset()

    def configure(
        self,
        state_dir: Path | None,
        *,
        margin_mode: str,
        balance: float,
        currency: str,
        leverage: int,
        symbol_suffix: str,
        login: int,
        server: str,
        latency_ms: float,
    ) -> None:
        """Set up the terminal and account; a saved book for ``login`` in ``state_dir`` wins (see control)."""
        if margin_mode not in MARGIN_MODES:
            raise ValueError(f"margin_mode must be one of {sorted(MARGIN_MODES)}, not {margin_mode!r}")
        if leverage < 1 or balance < 0:
            raise ValueError("leverage must be >= 1 and balance >= 0")
        with self.lock:
            self._fresh()
            self.terminal.latency_ms = float(latency_ms)
            path = state.state_file(Path(state_dir), login) if state_dir is not None else None
            loaded = self._load(path) if path is not None else None
            if loaded is not None:
                self.book = loaded
            else:
                account = Account(login, server, currency, leverage, MARGIN_MODES[margin_mode], 0.0)
                self.book = Book(account, suffix=symbol_suffix)
            self.symbols = build_catalogue(self.book.suffix)
            # A terminal never drops a symbol with positions or orders from Market Watch.
            for name in {p.symbol for p in self.book.positions} | {o.symbol for o in self.book.orders}:
                self.symbols[name].select = True
            self.market().rate(self.book.account.currency, "USD")  # KeyError for an unknown account currency
            if loaded is None and balance:
                balance_deal(self.book, balance, "Initial deposit", self.now_msc())
            self.state_path = path
            self.configured = True
            self.changed()

    @staticmethod
    def _load(path: Path) -> Book | None:
        """The saved book at ``path``; a damaged one is set aside (with a sentence in the log) for a fresh start,
        never a failure at every start."""
        try:
            return state.load(path)
        except state.DamagedState as exc:
            state.set_aside_damaged(path, str(exc))
            return None

    def ensure_configured(self) -> None:
        """Apply the default in-memory configuration if ``configure`` was never called."""
        if not self.configured:
            self.configure(
                None, margin_mode="netting", balance=10_000.0, currency="USD", leverage=100, symbol_suffix="",
                login=5_000_001, server="TVBridge-Simulator", latency_ms=0.0,
            )

    def now_msc(self) -> int:
        """Trade server time in epoch milliseconds."""
        return int(time.time() * 1000) + self.time_offset_s * 1000

    def now(self) -> int:
        """Trade server time in epoch seconds."""
        return self.now_msc() // 1000

    def quote(self, name: str) -> tuple[float, float]:
        """Current ``(bid, ask)``: the last ``control.set_quote``, else the catalogue's starting quote."""
        saved = self.book.quotes.get(name)
        if saved is not None:
            return saved[0], saved[1]
        spec = self.symbols[name]
        return spec.start_bid, round(spec.start_bid + spec.spread * spec.point, spec.digits)

    def select(self, name: str) -> None:
        """Add ``name`` to Market Watch; a symbol that was not there gets its first tick ``first_tick_ms`` later."""
        spec = self.symbols[name]
        if not spec.select:
            self.first_tick_at[name] = time.monotonic() + self.terminal.first_tick_ms / 1000.0
        spec.select = True

    def awaiting_first_tick(self, name: str) -> bool:
        """True while a symbol just added to Market Watch has no tick yet."""
        due = self.first_tick_at.get(name)
        if due is None:
            return False
        if time.monotonic() >= due:
            del self.first_tick_at[name]
            return False
        return True

    def market(self) -> Market:
        """Conversion and money maths over the current quotes, in the account currency."""
        return Market(self.symbols, self.quote, self.book.account.currency)

    def next_request_id(self) -> int:
        """The id the terminal gives the next request that reaches the trade server."""
        self.request_id = (self.request_id + 1) % 2**32
        return self.request_id

    def changed(self) -> None:
        """Persist the book after a change (no-op without a state directory)."""
        if self.state_path is not None:
            state.save(self.book, self.state_path)


SIM = Simulator()
