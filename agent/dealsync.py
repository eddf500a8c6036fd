"""The deal sync: the terminal's deal history, posted to the server's ledger incrementally.

From its own thread, soon after every job and every :data:`INTERVAL_SECONDS` (the snapshot cadence):

1. wait until the broker's clock offset is known (measured from live ticks, or remembered from the last
   measurement: :mod:`agent.broker.clock`), because every deal is stamped with it and stored once;
2. ask the server where the account's history was posted up to (``GET .../deals/cursor``), once per account;
3. read ``history_deals_get`` from that point minus :data:`OVERLAP_MS` (deals can reach the terminal's history a
   little after their time) to the broker's now + 1 day (trade-server time runs ahead of UTC, mt5-api §1.6);
4. post what this process has not posted yet as :class:`~contract.deals.DealBatch` es of at most
   :data:`BATCH_DEALS` deals, each with the account's login, server, currency, currency digits and margin mode and
   a cursor at its newest deal; the server stores each deal once (by ticket), so overlaps are harmless;
5. add pending orders that expired unfilled (``ORDER_STATE_EXPIRED``): those of the history read, and any order
   the sync saw pending that has left the active list since.

Nothing here trades; a broker or server that cannot be reached is tried again at the next round.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import httpx

from agent.broker.errors import BrokerUnavailable, OrderRefused
from agent.broker.interface import Broker
from agent.broker.models import AccountView, Deal, MarginMode
from agent.client import ContractMismatch
from agent.deals import contract_deal, expired_order
from agent.ledger_client import LedgerClient
from contract import DealBatch, SyncCursor, TradeJob
from contract.deals import ExpiredOrder

logger = logging.getLogger(__name__)

#: Seconds between rounds when nothing nudges the sync.
INTERVAL_SECONDS = 10.0
#: Seconds between rounds while the broker's clock is not known yet.
WAITING_SECONDS = 1.0
#: Each read starts this far (ms of server time) before the posted point.
OVERLAP_MS = 10 * 60 * 1000
#: At most this many deals per batch (the contract's bound).
BATCH_DEALS = 10_000
#: Pending orders are looked up in the history this far back (seconds): a good-till-date order may live long.
ORDER_LOOKBACK_SECONDS = 31 * 86_400
_DAY = 86_400


@dataclass
class _Account:
    """What the sync keeps per account: where its history is posted up to, and what it already posted."""

    cursor: int | None
    posted: set[int] = field(default_factory=set)
    expired: set[int] = field(default_factory=set)
    pending: set[int] = field(default_factory=set)


class DealSync:
    """Posts ``broker``'s deal history through ``client``. :meth:`start` runs it; :meth:`nudge` asks for a round
    now (after a job); :meth:`sync_once` is one round (tests call it directly)."""

    def __init__(self, broker: Broker, client: LedgerClient, *, interval: float = INTERVAL_SECONDS) -> None:
        self.broker = broker
        self.client = client
        self.interval = interval
        self._due = threading.Event()
        self._stop = threading.Event()
        self._accounts: dict[int, _Account] = {}
        self._waiting_said = False
        #: Rounds completed (posted or found nothing new): a test waits on it instead of sleeping.
        self.rounds = 0

    def nudge(self, _job: TradeJob | None = None) -> None:
        """Sync soon (a job just ran: its deals are in the terminal's history)."""
        self._due.set()

    def start(self) -> None:
        """Run rounds from a daemon thread until :meth:`stop`."""
        threading.Thread(target=self._run, name="deal-sync", daemon=True).start()

    def stop(self) -> None:
        """Stop after the current round."""
        self._stop.set()
        self._due.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                known = self.sync_once() is not None
            except (BrokerUnavailable, OrderRefused) as exc:
                logger.debug("deal sync: broker not readable now (%s)", exc)
                known = False
            except (httpx.HTTPError, ContractMismatch) as exc:
                logger.warning("deal sync: the server did not take the deals now (%s); trying again", exc)
                known = True
            except Exception:  # the sync must never take the agent down
                logger.exception("deal sync round failed")
                known = True
            self._due.wait(self.interval if known else WAITING_SECONDS)
            self._due.clear()

    def sync_once(self) -> int | None:
        """One round; returns the deals posted (``None`` while the broker's clock offset is unknown).

        :raises BrokerUnavailable, OrderRefused: the broker cannot be read. :raises httpx.HTTPError: the server
            cannot be reached (nothing is marked posted).
        """
        offset = self.broker.server_offset()
        if offset is None:
            if not self._waiting_said:
                logger.info("deal sync waits for the trade server's clock (a live tick) before posting deals")
                self._waiting_said = True
            return None
        account = self.broker.account()
        state = self._accounts.get(account.login)
        if state is None:
            cursor = self.client.cursor(account.login)
            state = self._accounts[account.login] = _Account(cursor.through_msc if cursor else None)
        now = int(time.time()) + offset
        start = max((state.cursor or 0) - OVERLAP_MS, 0) // 1000
        window = self.broker.deal_history(start, now + _DAY)
        deals = [d for d in window if d.ticket not in state.posted]
        every_expired = self._expired_orders(state, start, now, offset)
        expired = [o for o in every_expired if o.ticket not in state.expired]
        posted = 0
        for i in range(0, max(len(deals), 1), BATCH_DEALS):
            chunk = deals[i : i + BATCH_DEALS]
            orders = expired if i == 0 else []
            if not chunk and not orders:
                break
            self._post(account, state, chunk, orders, offset)
            posted += len(chunk)
        # Only what the next read can return again needs remembering.
        state.posted = {d.ticket for d in window}
        state.expired = {o.ticket for o in every_expired}
        self.rounds += 1
        return posted

    def _post(
        self, account: AccountView, state: _Account, deals: list[Deal], orders: list[ExpiredOrder], offset: int
    ) -> None:
        newest = max((d.server_msc for d in deals), default=None)
        cursor = max(newest, state.cursor or 0) if newest is not None else state.cursor
        batch = DealBatch(
            login=account.login,
            server=account.server[:128],
            currency=account.currency or "?",
            currency_digits=min(max(account.currency_digits, 0), 8),
            margin_mode="hedging" if account.margin_mode is MarginMode.HEDGING else "netting",
            deals=[contract_deal(d, offset) for d in deals],
            expired_orders=orders,
            cursor=SyncCursor(through_msc=cursor) if cursor is not None else None,
        )
        ack = self.client.post_deals(batch)
        state.posted.update(d.ticket for d in deals)
        state.expired.update(o.ticket for o in orders)
        state.cursor = cursor
        if deals or orders:
            logger.info(
                "deal sync: %d deals (%s new), %d expired orders posted", len(deals), ack.get("stored"), len(orders)
            )

    def _expired_orders(self, state: _Account, start: int, now: int, offset: int) -> list[ExpiredOrder]:
        """Pending orders that expired unfilled: from the history read, and those seen pending that left."""
        found: dict[int, ExpiredOrder] = {}
        for order in self.broker.order_history(start - ORDER_LOOKBACK_SECONDS, now + _DAY):
            expired = expired_order(order, offset)
            if expired is not None:
                found[expired.ticket] = expired
        active = {o.ticket for o in self.broker.orders()}
        for ticket in state.pending - active - set(found):
            gone = self.broker.historical_order(ticket)
            expired = expired_order(gone, offset) if gone is not None else None
            if expired is not None:
                found[ticket] = expired
        state.pending = active
        return list(found.values())
