"""A strategy's execution settings, as a job carries them to the agent.

The server copies them from the strategy into every job, so the agent needs no database and a change to the
strategy never alters a job already queued.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

#: The longest order comment the bridge writes: MT5 keeps 31 characters, the Python module accepts 29 UTF-16
#: code units (mt5-api §1.7, §2.3); 27 ASCII characters keep a margin.
MAX_COMMENT_CHARS = 27


class ExecutionSettings(BaseModel):
    """How the agent trades one job of one strategy.

    - ``magic_number``: the MT5 magic number stamped on every order; only positions/orders with it are touched.
    - ``comment``: the order comment that names the signal (``tvb:<signal id>``); the planner writes at most
      :data:`MAX_COMMENT_CHARS` ASCII characters of it.
    - ``default_volume_lots``: lots used when the alert names no volume (``None``: such alerts are refused).
    - ``max_lots``: the strategy's lot cap; larger requests are refused, never clamped.
    - ``risk_override_pct``: when set, entries with an SL are sized to lose this % of balance at the SL.
    - ``symbol_map``: aliases, TradingView name -> broker name (``{"NQ1!": "USTEC", "GOLD": "XAUUSD"}``).
    - ``symbol_suffix``: the broker's suffix when auto-discovery is ambiguous (``".a"``, ``"m"``).
    - ``pip_sizes``: per-symbol pip size overrides in price units (``{"XAUUSD": 0.1, "US30": 1.0}``).
    - ``deviation_points``: accepted slippage for instant/request execution, in points.
    - ``max_open_positions``: refuse entries when this strategy already holds this many positions.
    """

    model_config = ConfigDict(frozen=True)

    magic_number: int = Field(ge=0, lt=2**63)
    comment: str = Field(default="", max_length=200)
    default_volume_lots: float | None = None
    max_lots: float | None = None
    risk_override_pct: float | None = None
    symbol_map: dict[str, str] = Field(default_factory=dict)
    symbol_suffix: str | None = None
    pip_sizes: dict[str, float] = Field(default_factory=dict)
    deviation_points: int = 20
    max_open_positions: int | None = None
