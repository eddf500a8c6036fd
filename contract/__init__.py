"""The server <-> agent contract: the typed models both processes exchange, and its version.

Both sides import this package and nothing else of each other: the server builds :class:`TradeJob` s from
parsed alerts and stores what agents report; the agent turns jobs into orders and reports
:class:`JobResult` s and :class:`AccountSnapshot` s. It imports nothing from ``server``, ``agent`` or ``tray``.

Modules: :mod:`contract.intent` (what an alert asked for), :mod:`contract.settings` (a strategy's execution
settings as a job carries them), :mod:`contract.jobs` (jobs and their results), :mod:`contract.account`
(account snapshots and positions), :mod:`contract.deals` (deals from the terminal's history, posted in
batches), :mod:`contract.netting` (the share model: how one account position is split between strategies),
:mod:`contract.lease` (which one agent process may act for an agent id: leases and their epochs),
:mod:`contract.version` (the wire version both sides check).
"""

from contract.account import AccountSnapshot, PendingOrderState, PositionState
from contract.deals import Deal, DealBatch, ExpiredOrder, SyncCursor
from contract.intent import TradeIntent
from contract.jobs import (
    AgentProgress,
    JobBatch,
    JobOutcome,
    JobRelease,
    JobReport,
    JobResult,
    PlannedOrder,
    ResultBatch,
    SentOrder,
    TradeJob,
)
from contract.lease import LEASE_HEADER, LEASE_REFUSED, LeaseGrant, LeaseRefusal, LeaseRequest
from contract.netting import OwnerShare, PositionSplit, ShareBook, split_position
from contract.settings import ExecutionSettings
from contract.version import CONTRACT_HEADER, CONTRACT_VERSION, version_mismatch

__all__ = [
    "CONTRACT_HEADER",
    "CONTRACT_VERSION",
    "LEASE_HEADER",
    "LEASE_REFUSED",
    "AccountSnapshot",
    "AgentProgress",
    "Deal",
    "DealBatch",
    "ExecutionSettings",
    "ExpiredOrder",
    "JobBatch",
    "JobOutcome",
    "JobRelease",
    "JobReport",
    "JobResult",
    "LeaseGrant",
    "LeaseRefusal",
    "LeaseRequest",
    "OwnerShare",
    "PositionSplit",
    "PendingOrderState",
    "PlannedOrder",
    "PositionState",
    "ResultBatch",
    "SentOrder",
    "ShareBook",
    "SyncCursor",
    "TradeIntent",
    "TradeJob",
    "split_position",
    "version_mismatch",
]
