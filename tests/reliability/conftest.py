"""The reliability proofs (issue 9): crash, fuzz, slow clients, log floods, file modes.

Seeded: every run draws a new seed, so each CI run explores new inputs (alert mixes, kill moments, generated
requests), and a failure replays with the seed printed in the report header and under the failure:
``TVBRIDGE_RELIABILITY_SEED=<seed> pytest tests/reliability``. Hypothesis tests take the same seed (and still
replay a failing example from the local example database first). Longer runs: see docs/reliability.md.
"""

from __future__ import annotations

import os
import random
from collections.abc import Generator

import pytest

SEED_VARIABLE = "TVBRIDGE_RELIABILITY_SEED"
SEED = int(os.environ.get(SEED_VARIABLE) or random.randrange(2**32))


def scaled(variable: str, default: int) -> int:
    """A size of a run (alerts, kills, examples): ``default`` unless the environment variable says otherwise."""
    return int(os.environ.get(variable) or default)


def pytest_report_header() -> str:
    return f"reliability seed: {SEED} (replay with {SEED_VARIABLE}={SEED})"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, None, None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed and "tests/reliability" in str(item.fspath).replace(os.sep, "/"):
        report.sections.append(("replay", f"{SEED_VARIABLE}={SEED} pytest '{item.nodeid}'"))
