"""The intake ceiling: bare FastAPI + the standard ``sqlite3`` module, storing one signal row and one job row per
webhook and answering 200 — nothing else (no strategy lookup, no parsing, no gates, no agent).

It is what this machine can do with tvbridge's durability and tvbridge's HTTP stack, so the intake benchmark
(``bench/bench_intake.py``) reports tvbridge's figures as a ratio to it, measured in the same run:

- SQLite in WAL mode with ``synchronous=FULL`` and foreign keys on, as ``server/db.py`` sets them; each request is
  its own ``BEGIN IMMEDIATE`` ... ``COMMIT`` transaction (one fsync per alert, as tvbridge does today);
- the two tables carry the same indexes as ``tv_signals`` and ``jobs``;
- served by uvicorn with the very ``uvicorn.Config`` tvbridge uses (``server.serve._config``: HTTP
  implementation, event loop, access log, ``log_config=None``), so a change there moves both.

The handler is ``async`` and writes on the event loop through one connection: one process, one writer, no
thread pool and no lock — the simplest and fastest way to use ``sqlite3`` from FastAPI.

    python bench/ceiling.py --db FILE --port PORT
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from server.serve import _config

SCHEMA = """
CREATE TABLE IF NOT EXISTS signals (
    id INTEGER PRIMARY KEY,
    strategy_id INTEGER NOT NULL,
    status VARCHAR(16) NOT NULL,
    raw_payload VARCHAR NOT NULL,
    content_type VARCHAR,
    body_hash VARCHAR(64),
    received_at DATETIME NOT NULL,
    acked_at DATETIME,
    created_at DATETIME NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_signals_strategy_id ON signals (strategy_id);
CREATE INDEX IF NOT EXISTS ix_signals_status ON signals (status);
CREATE INDEX IF NOT EXISTS ix_signals_body_hash ON signals (body_hash);
CREATE INDEX IF NOT EXISTS ix_signals_created_at ON signals (created_at);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY,
    signal_id INTEGER REFERENCES signals (id) ON DELETE CASCADE,
    agent_id VARCHAR(64) NOT NULL,
    job_type VARCHAR(32) NOT NULL,
    status VARCHAR(16) NOT NULL,
    payload JSON NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_jobs_signal_id ON jobs (signal_id);
CREATE INDEX IF NOT EXISTS ix_jobs_agent_id ON jobs (agent_id);
CREATE INDEX IF NOT EXISTS ix_jobs_status ON jobs (status);
"""


def connect(db_path: Path) -> sqlite3.Connection:
    """One autocommit connection with tvbridge's pragmas (WAL, ``synchronous=FULL``, foreign keys, 3 s busy
    time-out) and the schema created."""
    conn = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=3000")
    conn.executescript(SCHEMA)
    return conn


def create_app(db_path: Path) -> FastAPI:
    """The ceiling app: ``POST /api/v1/webhooks/tv/{secret}`` stores the body as a pending signal and its job in
    one transaction and answers ``{"signal_id", "status": "pending"}``; ``GET /healthz`` answers ok."""
    app = FastAPI()
    conn = connect(db_path)

    @app.post("/api/v1/webhooks/tv/{webhook_secret}")
    async def receive(webhook_secret: str, request: Request) -> JSONResponse:
        received_at = datetime.now(UTC).isoformat()
        body = await request.body()
        text = body.decode("utf-8", errors="replace")
        conn.execute("BEGIN IMMEDIATE")
        try:
            cur = conn.execute(
                "INSERT INTO signals (strategy_id, status, raw_payload, content_type, body_hash, received_at,"
                " acked_at, created_at) VALUES (1, 'pending', ?, ?, ?, ?, ?, ?)",
                (text, request.headers.get("content-type"), hashlib.sha256(body).hexdigest(), received_at,
                 datetime.now(UTC).isoformat(), received_at),
            )
            signal_id = cur.lastrowid
            conn.execute(
                "INSERT INTO jobs (signal_id, agent_id, job_type, status, payload, created_at)"
                " VALUES (?, 'default', 'trade', 'queued', ?, ?)",
                (signal_id, text, received_at),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return JSONResponse({"signal_id": signal_id, "status": "pending"})

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    """Serve the ceiling on ``127.0.0.1:--port`` until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.Server(_config(create_app(args.db), "127.0.0.1", args.port)).run()


if __name__ == "__main__":
    main()
