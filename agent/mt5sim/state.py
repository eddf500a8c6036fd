"""The trade server's books (account, positions, orders, deals, quotes, ticket counters) and their persistence.

Tickets follow MT5 (mt5-api §1.6, §5.5): orders and deals have separate counters; a position's ticket and
identifier are the ticket of the order that opened it; a netting reversal gives the position the reversing
order's ticket but keeps its identifier. Times are server epoch milliseconds (``*_msc``).

With a state directory the book is saved after every change, one pair of files per login, so an agent
process that restarts finds its positions. The live part (account, positions, pending orders, quotes, ticket
counters) is replaced atomically as JSON (temp file, ``fsync``, ``os.replace``: :mod:`agent.atomic`); history
(deals and finished orders), which never changes once written, is appended to a JSON Lines journal, so a save
costs the same after ten thousand deals as after one. The snapshot records how many journal records belong to
it: a crash between the two writes, or in the middle of an append, leaves extra (or half-written) journal lines
after those records, which the next load ignores. The journal is then rewritten whole, and a whole rewrite is
atomic too: a process killed at any instant leaves a state that loads. A state that still cannot be read (a
disk fault, a hand edit) raises :class:`DamagedState`; the simulator sets such files aside and starts fresh.
Simulator knobs (faults, terminal flags, symbol overrides) are not part of the book and are not saved.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from agent.atomic import remove_leftovers, set_aside, write_atomic
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


class DamagedState(ValueError):
    """A state file that cannot be loaded; ``str()`` says what is wrong with it."""


#: Journal records on disk per snapshot path, when the journal holds exactly those: (history orders, deals).
#: No entry: the journal must be rewritten whole at the next save (a new book, or extra lines after a crash).
_written: dict[Path, tuple[int, int]] = {}


def _lines(orders: list[Order], deals: list[Deal]) -> str:
    records = [json.dumps({"order": asdict(o)}) for o in orders] + [json.dumps({"deal": asdict(d)}) for d in deals]
    return "".join(line + "\n" for line in records)


def save(book: Book, path: Path) -> None:
    """Write new history to the journal, then replace the live book atomically (a crash at any point leaves a
    state that loads: the previous snapshot, with at most extra journal lines that it does not count)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    journal = journal_file(path)
    done = _written.get(path)
    if done is not None and done[0] <= len(book.history_orders) and done[1] <= len(book.deals) and journal.exists():
        new = _lines(book.history_orders[done[0] :], book.deals[done[1] :])
        if new:
            with journal.open("a", encoding="utf-8") as handle:
                handle.write(new)
                handle.flush()
                os.fsync(handle.fileno())
    else:
        write_atomic(journal, _lines(book.history_orders, book.deals))
    live = {k: v for k, v in asdict_shallow(book).items() if k not in ("history_orders", "deals")}
    live["journal"] = {"history_orders": len(book.history_orders), "deals": len(book.deals)}
    write_atomic(path, json.dumps({"version": STATE_VERSION, **live}, indent=1))
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
    """Read a book written by :func:`save`; ``None`` when there is none.

    :raises DamagedState: the snapshot or its journal cannot be read, is of another version, or the journal holds
        fewer records than the snapshot counts.
    """
    journal = journal_file(path)
    remove_leftovers(path)
    remove_leftovers(journal)
    if not path.exists():
        _written.pop(path, None)
        return None
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if data.pop("version", None) != STATE_VERSION:
            raise DamagedState(f"it is not an mt5sim state file of version {STATE_VERSION}")
        counts = data.pop("journal")
        history_orders, deals, exact = _read_journal(journal, counts["history_orders"], counts["deals"])
        book = Book(
            account=Account(**data.pop("account")),
            positions=[Position(**p) for p in data.pop("positions")],
            orders=[Order(**o) for o in data.pop("orders")],
            history_orders=history_orders,
            deals=deals,
            **data,
        )
    except DamagedState:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise DamagedState(f"{type(exc).__name__}: {exc}") from exc
    if exact:
        _written[path] = (len(history_orders), len(deals))
    else:
        _written.pop(path, None)  # extra lines after a crash: the next save rewrites the journal whole
    return book


def _read_journal(journal: Path, want_orders: int, want_deals: int) -> tuple[list[Order], list[Deal], bool]:
    """The first ``want_orders`` history orders and ``want_deals`` deals of ``journal``, and whether the journal
    holds nothing else. Lines after those records (a crash mid-append) are not even parsed.

    :raises DamagedState: the journal holds fewer records than wanted, or a record cannot be read.
    """
    history_orders: list[Order] = []
    deals: list[Deal] = []
    exact = True
    if journal.exists():
        with journal.open(encoding="utf-8") as handle:
            for line in handle:
                if len(history_orders) == want_orders and len(deals) == want_deals:
                    exact = exact and not line.strip()
                    continue
                if not line.strip():
                    continue
                record = json.loads(line)
                if "order" in record and len(history_orders) < want_orders:
                    history_orders.append(Order(**record["order"]))
                elif "deal" in record and len(deals) < want_deals:
                    deals.append(Deal(**record["deal"]))
                else:
                    exact = False
    if (len(history_orders), len(deals)) != (want_orders, want_deals):
        raise DamagedState(
            f"its history journal {journal.name} holds {len(history_orders)} orders and {len(deals)} deals, "
            f"fewer than the {want_orders} and {want_deals} the snapshot counts"
        )
    return history_orders, deals, exact


def set_aside_damaged(path: Path, why: str) -> None:
    """Move a damaged snapshot and its journal out of the way (see :func:`agent.atomic.set_aside`)."""
    _written.pop(path, None)
    fresh = "the paper account starts again from its initial balance"
    if path.exists():
        set_aside(path, f"{why}; {fresh}")
    if journal_file(path).exists():
        set_aside(journal_file(path), f"it is the history of {path.name}, which could not be read: {why}; {fresh}")
