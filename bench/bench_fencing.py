"""What fencing costs the agent per job: the executor against the simulator, in this process, with the broker as is
and behind :class:`agent.fence.FencedBroker` (lease check + watchdog on every call). No HTTP, no disk.

    .venv/bin/python bench/bench_fencing.py [--jobs 400] [--rounds 2]

Prints the median time per job (market order, netting account) of each variant, and the cost of setting
faulthandler's timer once (what the watchdog avoids doing on every call).
"""

from __future__ import annotations

import argparse
import faulthandler
import statistics
import time
from datetime import UTC, datetime, timedelta

from agent.broker.factory import BrokerConfig, open_broker
from agent.broker.interface import Broker
from agent.executor import JobExecutor
from agent.fence import FencedBroker
from agent.watchdog import Watchdog
from contract import TradeJob
from contract.settings import ExecutionSettings


class _ValidLease:
    """A lease that is always valid (the keeper's interface as FencedBroker uses it)."""

    agent_id = "bench"

    class lost:  # noqa: N801 - mimics threading.Event
        @staticmethod
        def is_set() -> bool:
            return False

    def valid(self) -> bool:
        return True

    def valid_until(self) -> float:
        return time.monotonic() + 25.0


def _job(n: int) -> TradeJob:
    side = "buy" if n % 2 else "sell"
    return TradeJob.model_validate({
        "id": n, "signal_id": n, "strategy_id": 1,
        "intent": {"format": "json", "symbol": "EURUSD", "actions": [
            {"type": "open", "side": side, "kind": "market", "volume": {"unit": "lots", "value": 0.01}}]},
        "settings": ExecutionSettings(magic_number=5, comment=f"tvb:{n}").model_dump(),
        "deadline": (datetime.now(UTC) + timedelta(minutes=5)).isoformat(),
    })


def per_job(broker: Broker, jobs: int) -> float:
    """Median seconds per executed job."""
    executor = JobExecutor(broker)
    times = []
    for n in range(jobs):
        start = time.perf_counter()
        result = executor.execute(_job(n))
        times.append(time.perf_counter() - start)
        assert result.status == "executed", result
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    broker = open_broker(BrokerConfig(kind="sim", state_dir=None))
    broker.connect()
    lease = _ValidLease()
    for _ in range(args.rounds):
        plain = per_job(broker, args.jobs)
        dog = Watchdog(lease_until=lease.valid_until)
        fenced = per_job(FencedBroker(broker, lease, dog), args.jobs)  # type: ignore[arg-type]
        print(f"per job: plain {plain * 1e3:.2f} ms, fenced {fenced * 1e3:.2f} ms")
    start = time.perf_counter()
    for _ in range(500):
        faulthandler.dump_traceback_later(60, exit=True)
    faulthandler.cancel_dump_traceback_later()
    print(f"setting faulthandler's timer once: {(time.perf_counter() - start) / 500 * 1e6:.0f} us")


if __name__ == "__main__":
    main()
