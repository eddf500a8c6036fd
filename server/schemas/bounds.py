"""The bounds of every number, text and collection the admin API accepts: one home for each limit.

Each limit is far above any real use and low enough that nothing downstream overflows: SQLite integers are
signed 64-bit (an id or count at or past 2**63 raised ``OverflowError`` -> 500), Python's ``timedelta`` tops out
near 2.7e12 seconds (a max signal age of 1e12 s made every alert of its strategy fail), and MT5 trims order
comments and symbol names to 31 characters (reference ``mt5-api.md`` §1.7, §2.3). A value outside them is
refused with 422 and a sentence naming the limit (:mod:`server.schemas.errors`).
"""

from __future__ import annotations

#: Largest id (strategy, signal, job) and list offset: SQLite's INTEGER is signed 64-bit.
MAX_ID = 2**63 - 1

#: Lots: far above any broker's ``SYMBOL_VOLUME_MAX``; the symbol's own limits apply when the order is planned.
MAX_LOTS = 100_000.0

#: Percent settings (risk per trade, daily loss limit) lie in [0.01, 100]: one hundredth of a percent up to all.
MIN_PCT = 0.01
MAX_PCT = 100.0

#: Seconds: one day. An alert older than a day is never worth trading, and TradingView delivers in seconds.
MAX_SIGNAL_AGE_SECONDS = 86_400

#: Seconds: one day for the identical-body duplicate window (alert ids deduplicate for 24 h anyway).
MAX_DEDUP_WINDOW_SECONDS = 86_400

#: Open positions one strategy may hold: above any account's ``ACCOUNT_LIMIT_ORDERS`` seen at retail brokers.
MAX_OPEN_POSITIONS = 1_000

#: Trades a day for one strategy: more than one a second, all day.
MAX_TRADES_PER_DAY = 100_000

#: Characters of a symbol name: TradingView tickers with their exchange (``BINANCE:BTCUSDT.P``) or MT5 names.
MAX_SYMBOL_CHARS = 64

#: Entries in ``allowed_pairs``, ``symbol_map`` and ``pip_sizes``: more symbols than most brokers list.
MAX_SYMBOLS = 1_000

#: Characters of a broker symbol suffix (``.a``, ``m``, ``.pro``, ``_i``).
MAX_SUFFIX_CHARS = 16

#: Pip size in price units: above any instrument's (JPY pairs 0.01, indices 1.0, some crypto 10).
MAX_PIP_SIZE = 10_000.0

#: Characters of a strategy name (the seed schema's column width).
MAX_NAME_CHARS = 100

#: Characters of an agent id: it names the agent's folders, so only letters, digits, ``.``, ``_`` and ``-``.
MAX_AGENT_ID_CHARS = 64
AGENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"

#: Characters of a PineConnector License ID (a 13-digit number in practice).
MAX_LICENSE_ID_CHARS = 64

#: Characters of an alert secret (the ``secret=`` an alert must carry).
MAX_ALERT_SECRET_CHARS = 128

#: Characters of a signing secret (the HMAC-SHA256 key a signing sender shares): at least 16, so a guessable
#: word is refused, and at most 256.
MIN_SIGNING_SECRET_CHARS = 16
MAX_SIGNING_SECRET_CHARS = 256

#: Alerts one strategy may receive per second / per minute before further ones are discarded. The upper bounds
#: are far above what TradingView can deliver to one URL; 1 is the least that still trades.
MAX_RATE_PER_SECOND = 10_000
MAX_RATE_PER_MINUTE = 600_000

#: A notification URL: ``scheme://rest`` without spaces or control characters (whether apprise can read it is
#: reported by the API, not refused: server/schemas/notifications.py).
# Explicit ranges, not ``\s``: pydantic's regex engine and JSON Schema's (ECMA 262) disagree on which characters
# ``\s`` matches (U+0085), and a client generated from the schema must get the same answer as the server.
NOTIFY_URL_PATTERN = r"^[A-Za-z][A-Za-z0-9+.-]{0,31}://[^ \x00-\x1F\x7F-\x9F]+$"

#: Security events one page of ``GET /api/v1/security/events`` may hold.
MAX_EVENTS_PAGE = 500

#: Text fields: no control characters (C0, DEL, C1: tabs, line breaks, NUL) and at least one visible character.
#: Written for both pydantic's regex engine and JSON Schema (ECMA-262) clients.
#: White space as ECMA 262 defines ``\s``, spelled out for the same reason (U+FEFF is space to one engine only).
_SPACE = r" \t\n\v\f\r\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
VISIBLE_TEXT_PATTERN = rf"^[^\x00-\x1F\x7F-\x9F]*[^{_SPACE}\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"

#: Signals one page of the signal log may hold.
MAX_PAGE = 500

#: Minutes a strategy may hold a position before its exit rule closes it: up to a year.
MAX_HOLD_MINUTES = 527_040

#: Entries per direction per symbol (pyramiding): far above any strategy's.
MAX_ENTRIES_PER_DIRECTION = 1_000

#: A time of day, ``HH:MM`` (00:00 to 23:59), and a session ``HH:MM-HH:MM`` (the contract's patterns).
CLOCK_TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d$"
SESSION_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$"

#: Characters of an IANA time zone name (``America/Argentina/ComodRivadavia`` is among the longest).
MAX_TIMEZONE_CHARS = 64
