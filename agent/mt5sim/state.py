"""The trade server's books (account, positions, orders, deals, quotes, ticket counters) and their persistence.

Tickets follow MT5 (mt5-api §1.6, §5.5): orders and deals have separate counters; a position's ticket and
identifier are the ticket of the order that opened it; a netting reversal gives the position the reversing
order's ticket but keeps its identifier. Times are server epoch milliseconds (``*_msc``).

With a state directory the book is saved after every change, one pair of files per login, so an agent
process that restarts finds its positions. The live part (account, positions, pending orders, quotes, ticket
counters) is rewritten atomically as JSON (temp file, ``fsync``, ``os.replace``); history (deals and finished
orders), which never changes once written, is appended to a JSON Lines journal, so a save costs the same after
ten thousand deals as after one. The snapshot records how many journal records belong to it: a crash between
the two writes leaves extra journal lines, which the next load ignores and the next save overwrites.
Simulator knobs (faults, terminal flags, symbol overrides) are not part of the book and are not saved.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from agent.mt5sim import constants as c

STATE_VERSION = 2


@dataclass
class Position:
    """An open position; ``type`` is POSITION_TYPE_*, ``volume`` lots, prices in the profit currency."""

    ticket: int
    identifier: int
    symbol: str
    type: int
    volume: float
    price_open: float
    sl: float
    tp: float
    magic: int
    comment: str
    time_msc: int
    time_update_msc: int
    reason: int = c.POSITION_REASON_EXPERT
    external_id: str = ""


@dataclass
class Order:
    """A pending order (``state`` PLACED) or a historical one (FILLED, CANCELED, EXPIRED, REJECTED)."""

    ticket: int
    symbol: str
    type: int
    volume_initial: float
    volume_current: float
    price_open: float
    sl: float
    tp: float
    price_stoplimit: float
    type_time: int
    type_filling: int
    time_expiration: int
    magic: int
    comment: str
    time_setup_msc: int
    state: int = c.ORDER_STATE_PLACED
    time_done_msc: int = 0
    position_id: int = 0
    position_by_id: int = 0
    reason: int = c.ORDER_REASON_EXPERT
    price_current: float = 0.0
    external_id: str = ""


@dataclass
class Deal:
    """An executed deal; ``profit``/``commission``/``swap``/``fee`` in account currency."""

    ticket: int
    order: int
    time_msc: int
    type: int
    entry: int
    magic: int
    position_id: int
    reason: int
    volume: float
    price: float
    profit: float
    symbol: str
    comment: str
    commission: float = 0.0
    swap: float = 0.0
    fee: float = 0.0
    external_id: str = ""


@dataclass
class Account:
    """The trading account. ``margin_mode`` is ACCOUNT_MARGIN_MODE_* (0 netting, 2 hedging)."""

    login: int
    server: str
    currency: str
    leverage: int
    margin_mode: int
    balance: float
    credit: float = 0.0
    name: str = "Paper Trader"
    company: str = "TVBridge Simulator"
    trade_allowed: bool = True
    trade_expert: bool = True
    fifo_close: bool = False
    hedge_prohibited: bool = False
    limit_orders: int = 200

    @property
    def hedging(self) -> bool:
        """True on a retail hedging account (several positions per symbol)."""
        return self.margin_mode == c.ACCOUNT_MARGIN_MODE_RETAIL_HEDGING


@dataclass
class Book:
    """Everything the trade server remembers for one account."""

    account: Account
    suffix: str = ""
    positions: list[Position] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    history_orders: list[Order] = field(default_factory=list)
    deals: list[Deal] = field(default_factory=list)
    quotes: dict[str, list[float]] = field(default_factory=dict)
    next_order: int = 200_000_001
    next_deal: int = 100_000_001

    def new_order_ticket(self) -> int:
        """Take the next order ticket (also the ticket of a position the order opens)."""
        ticket, self.next_order = self.next_order, self.next_order + 1
        return ticket

    def new_deal_ticket(self) -> int:
        """Take the next deal ticket."""
        ticket, self.next_deal = self.next_deal, self.next_deal + 1
        return ticket

    def fork(self) -> Book:
        """A copy to try a request on: account, positions and pending orders are copied; deals and history
        orders are shared, because they never change once written."""
        return replace(
            self,
            account=replace(self.account),
            positions=[replace(p) for p in self.positions],
            orders=[replace(o) for o in self.orders],
            history_orders=list(self.history_orders),
            deals=list(self.deals),
            quotes=dict(self.quotes),
        )

    def position(self, ticket: int) -> Position | None:
        """The open position with this ticket, if any."""
        return next((p for p in self.positions if p.ticket == ticket), None)

    def order(self, ticket: int) -> Order | None:
        """The active pending order with this ticket, if any."""
        return next((o for o in self.orders if o.ticket == ticket), None)

    def was_position(self, ticket: int) -> bool:
        """True when ``ticket`` identified a position that has since been closed (deals name it)."""
        return any(d.position_id == ticket for d in self.deals)


def state_file(state_dir: Path, login: int) -> Path:
    """Where the book of ``login`` lives inside ``state_dir``."""
    return state_dir / f"mt5sim-{login}.json"


def journal_file(path: Path) -> Path:
    """The history journal that goes with the snapshot at ``path``."""
    return path.with_name(path.stem + ".history.jsonl")


#: Journal records already on disk per snapshot path: (history orders, deals).
_written: dict[Path, tuple[int, int]] = {}


def save(book: Book, path: Path) -> None:
    """Append new history to the journal, then write the live book atomically (a crash mid-write leaves the
    previous snapshot intact)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    journal = journal_file(path)
    done_orders, done_deals = _written.get(path, (0, 0))
    if done_orders > len(book.history_orders) or done_deals > len(book.deals):
        done_orders = done_deals = 0  # a different book: rewrite the journal from scratch
    lines = [json.dumps({"order": asdict(o)}) for o in book.history_orders[done_orders:]]
    lines += [json.dumps({"deal": asdict(d)}) for d in book.deals[done_deals:]]
    if lines or not journal.exists() or (done_orders, done_deals) == (0, 0):
        mode = "a" if (done_orders or done_deals) else "w"
        with journal.open(mode, encoding="utf-8") as handle:
            handle.write("".join(line + "\n" for line in lines))
            handle.flush()
            os.fsync(handle.fileno())
    live = {k: v for k, v in asdict_shallow(book).items() if k not in ("history_orders", "deals")}
    live["journal"] = {"history_orders": len(book.history_orders), "deals": len(book.deals)}
    payload = json.dumps({"version": STATE_VERSION, **live}, indent=1)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _written[path] = (len(book.history_orders), len(book.deals))


def asdict_shallow(book: Book) -> dict[str, Any]:
    """The book as plain data, without converting the (large, immutable) history lists."""
    return {
        "account": asdict(book.account),
        "suffix": book.suffix,
        "positions": [asdict(p) for p in book.positions],
        "orders": [asdict(o) for o in book.orders],
        "quotes": book.quotes,
        "next_order": book.next_order,
        "next_deal": book.next_deal,
    }


def load(path: Path) -> Book | None:
    """Read a book written by :func:`save`; ``None`` when the file does not exist.

    :raises ValueError: when the file is not a state file of this version.
    """
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if data.pop("version", None) != STATE_VERSION:
        raise ValueError(f"{path} is not an mt5sim state file of version {STATE_VERSION}")
    counts = data.pop("journal")
    history_orders: list[Order] = []
    deals: list[Deal] = []
    journal = journal_file(path)
    if journal.exists():
        with journal.open(encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                record = json.loads(line)
                if "order" in record and len(history_orders) < counts["history_orders"]:
                    history_orders.append(Order(**record["order"]))
                elif "deal" in record and len(deals) < counts["deals"]:
                    deals.append(Deal(**record["deal"]))
    if (len(history_orders), len(deals)) != (counts["history_orders"], counts["deals"]):
        raise ValueError(f"{journal} is shorter than its snapshot {path} says")
    # Extra lines (a crash between journal and snapshot writes) are dropped by rewriting on the next save.
    _written[path] = (0, 0)
    return Book(
        account=Account(**data.pop("account")),
        positions=[Position(**p) for p in data.pop("positions")],
        orders=[Order(**o) for o in data.pop("orders")],
        history_orders=history_orders,
        deals=deals,
        **data,
    )
