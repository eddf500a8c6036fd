"""The watchdog (agent/watchdog.py) ends the process when a broker call outlasts its limit, or a write outlasts the
lease, even while the call holds the GIL as the MetaTrader5 extension does. Each case runs in a process of its own
(the watchdog ends its process); a catastrophic regular expression stands in for a GIL-holding C call."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRELUDE = """
import re, sys, time
from agent.watchdog import Watchdog
clock = time.monotonic
"""


def run_script(body: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    code = PRELUDE + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_a_call_that_holds_the_gil_past_its_limit_ends_the_process_with_its_stack() -> None:
    done = run_script("""
        dog = Watchdog()
        def order_send():
            re.match(r"(a+)+$", "a" * 60 + "b")  # minutes inside C, holding the GIL, like a hung terminal call
        with dog.guard("sending an order", 1.0):
            order_send()
        print("returned")
    """)
    assert done.returncode == 1, done
    assert "returned" not in done.stdout
    assert done.stderr.startswith("Timeout (") and "in order_send" in done.stderr


def test_a_write_never_outlasts_the_lease_and_moves_with_its_renewals() -> None:
    lapsing = run_script("""
        until = clock() + 1.0  # the lease stops being valid in 1 s; the write limit is 30 s
        dog = Watchdog(lease_until=lambda: until)
        with dog.guard("sending an order", 30.0, fenced=True):
            time.sleep(20)
        print("returned")
    """)
    assert lapsing.returncode == 1 and "returned" not in lapsing.stdout, lapsing

    renewed = run_script("""
        state = {"until": clock() + 1.0}
        dog = Watchdog(lease_until=lambda: state["until"])
        with dog.guard("sending an order", 30.0, fenced=True):
            state["until"] = clock() + 30.0  # a renewal arrived while the order was on its way
            dog.rearm()
            time.sleep(2)
        with dog.guard("reading positions", 1.0):  # reads are not bound by the lease
            state["until"] = clock() - 1
            dog.rearm()
            time.sleep(0.2)
        print("returned")
    """)
    assert renewed.returncode == 0 and "returned" in renewed.stdout, renewed


def test_without_calls_in_progress_nothing_is_armed() -> None:
    idle = run_script("""
        dog = Watchdog()
        with dog.guard("reading the account", 1.0):
            pass
        time.sleep(2)  # past the finished call's deadline: nothing happens
        print("returned")
    """)
    assert idle.returncode == 0 and "returned" in idle.stdout, idle


def test_the_timer_moves_a_few_times_not_for_every_call() -> None:
    # setting faulthandler's timer starts a thread: an alert's ten-odd broker calls must not each pay for it
    counted = run_script("""
        lease = {"until": clock() + 25.0}
        dog = Watchdog(lease_until=lambda: lease["until"])
        moves, last = 0, None
        for n in range(1000):  # 200 alerts of reads, a write, reads
            fenced = n % 5 == 2
            with dog.guard("a call", 30.0 if fenced else 60.0, fenced=fenced):
                if dog.armed != last:
                    moves, last = moves + 1, dog.armed
        print(moves)
    """)
    assert counted.returncode == 0, counted
    assert int(counted.stdout) <= 3, counted.stdout
