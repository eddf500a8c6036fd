"""Request and answer models of the admin API, so ``/openapi.json`` describes every request and every answer.

Families: ``<Thing>Create`` (POST body), ``<Thing>Update`` (PATCH body: every field optional, ``null`` only where
the setting is nullable), ``<Thing>Public`` (what the API answers). Request models are strict and bounded
(:mod:`server.schemas.bounds`, :mod:`server.schemas.types`); answer models only type, so old rows always read.
Error answers and their sentences: :mod:`server.schemas.errors`.
"""

from server.schemas.account import (
    AccountPublic,
    AgentPublic,
    HealthPublic,
    PositionPublic,
    PositionsPublic,
    TunnelStatus,
)
from server.schemas.errors import ErrorPublic, ValidationErrorPublic, ValidationIssue
from server.schemas.settings import SettingsPublic, SettingsUpdate
from server.schemas.signals import SignalPublic, SignalTimings
from server.schemas.strategies import StrategyCreate, StrategyPublic, StrategyUpdate

__all__ = [
    "AccountPublic",
    "AgentPublic",
    "ErrorPublic",
    "HealthPublic",
    "PositionPublic",
    "PositionsPublic",
    "SettingsPublic",
    "SettingsUpdate",
    "SignalPublic",
    "SignalTimings",
    "StrategyCreate",
    "StrategyPublic",
    "StrategyUpdate",
    "TunnelStatus",
    "ValidationErrorPublic",
    "ValidationIssue",
]
