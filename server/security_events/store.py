"""Storing refused senders: the writer op that adds a flush's rolled-up rows, and the pruning that bounds the table.

Rows are keyed by minute, kind, source, endpoint, fingerprint, strategy and detail (the table's unique index): a
flush adds its counts to the row of the same key, so one minute of a flood from one address with one wrong secret
is one row whatever its size. The table keeps :data:`RETENTION_DAYS` days and at most :data:`MAX_ROWS` rows
(oldest first out), so a flood from many addresses cannot fill the disk either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from server.db import sql_time
from server.writer import WriteTx

#: Days of refused senders kept.
RETENTION_DAYS = 30
#: Rows kept at most (about 200 bytes each: some 10 MB).
MAX_ROWS = 50_000


@dataclass(frozen=True)
class Row:
    """One rolled-up row to add: the key, the count, first and last time, and a detail sentence."""

    bucket: datetime
    kind: str
    source: str
    endpoint: str
    fingerprint: str
    strategy_id: int
    count: int
    first_at: datetime
    last_at: datetime
    detail: str


_UPSERT = """
INSERT INTO security_events (bucket, kind, source, endpoint, fingerprint, strategy_id, detail, count, first_at, last_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (bucket, kind, source, endpoint, fingerprint, strategy_id, detail) DO UPDATE SET
    count = count + excluded.count,
    first_at = min(first_at, excluded.first_at),
    last_at = max(last_at, excluded.last_at)
"""


def add_rows(tx: WriteTx, rows: list[Row]) -> int:
    """The writer op's body: add ``rows`` (one statement each); returns how many requests they stand for."""
    for r in rows:
        tx.execute(
            _UPSERT,
            (
                sql_time(r.bucket), r.kind, r.source[:64], r.endpoint[:64], r.fingerprint, r.strategy_id,
                r.detail[:300], r.count, sql_time(r.first_at), sql_time(r.last_at),
            ),
        )  # fmt: skip
    return sum(r.count for r in rows)


def prune(tx: WriteTx, now: datetime, *, max_rows: int = MAX_ROWS, retention_days: int = RETENTION_DAYS) -> int:
    """Delete rows older than the retention and the oldest rows past ``max_rows``; returns how many went."""
    cur = tx.execute(
        "DELETE FROM security_events WHERE last_at < ?", (sql_time(now - timedelta(days=retention_days)),)
    )
    gone = max(cur.rowcount, 0)
    (total,) = tx.execute("SELECT count(*) FROM security_events").fetchone()
    if total > max_rows:
        cur = tx.execute(
            "DELETE FROM security_events WHERE id IN "
            "(SELECT id FROM security_events ORDER BY last_at ASC, id ASC LIMIT ?)",
            (total - max_rows,),
        )
        gone += max(cur.rowcount, 0)
    return gone
