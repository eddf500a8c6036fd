"""The app restarts a dying agent with back-off, and the back-off starts over after a healthy run (issue 9.8).

Real child processes that exit at once stand in for a crashing agent; the supervisor's clock is injected, so a
"healthy hour" costs nothing and nothing here waits on wall-clock time beyond the tiny restart delays.
"""

from __future__ import annotations

import sys
import threading

from tray.runtime import AgentProcess

DIES = [sys.executable, "-S", "-c", "raise SystemExit(3)"]  # -S: no site packages, a quick start


class Clock:
    """Monotonic seconds that advance only when told to, by ``run_for`` per agent start."""

    def __init__(self, run_for: list[float]) -> None:
        self.now = 0.0
        self.run_for = run_for
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            # Calls alternate: at spawn, then when the process is seen dead (its run lasted run_for[i]).
            self.calls += 1
            if self.calls % 2 == 0:
                i = self.calls // 2 - 1
                self.now += self.run_for[i] if i < len(self.run_for) else 0.0
            return self.now


def supervise_until(agent: AgentProcess, restarts: int) -> list[float]:
    done = threading.Event()

    def watch() -> None:
        while agent.restarts < restarts:
            threading.Event().wait(0.005)
        done.set()

    threading.Thread(target=watch, daemon=True).start()
    assert done.wait(30), f"only {agent.restarts} restarts"
    agent.stop()
    return agent.delays[:restarts]


def test_backoff_doubles_while_the_agent_keeps_dying() -> None:
    agent = AgentProcess(DIES, {}, restart_delay=0.001, healthy_after=60.0, clock=Clock([0.1] * 10))
    agent.start()
    assert supervise_until(agent, 4) == [0.001, 0.002, 0.004, 0.008]


def test_backoff_resets_after_a_healthy_run() -> None:
    # dies at once three times, then runs for two minutes before dying: the next delay is the first one again
    agent = AgentProcess(DIES, {}, restart_delay=0.001, healthy_after=60.0, clock=Clock([0.1, 0.1, 0.1, 120.0, 0.1]))
    agent.start()
    assert supervise_until(agent, 5) == [0.001, 0.002, 0.004, 0.001, 0.002]
