"""The commands aimed at a running tvbridge (``pause``, ``resume``, ``send``, ``strategy ...``, ``signals``), run
as a user runs them: real ``python -m tray`` processes against a real running instance, asserting what the
user sees (stdout/stderr sentences) and the exit codes."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Live, start_live, stop_live
from tray.runtime import AgentProcess, agent_command, agent_environment


def cli(live_or_dir: Live | Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``tvbridge <args> --data-dir <the instance's folder>`` and return what it printed."""
    data = live_or_dir.data_dir if isinstance(live_or_dir, Live) else live_or_dir
    env = {k: v for k, v in os.environ.items() if not k.startswith("TVBRIDGE_")}
    return subprocess.run([sys.executable, "-m", "tray", *args, "--data-dir", str(data)], input=stdin or "",
                          capture_output=True, text=True, env=env, timeout=60)


def assert_sentence_only(result: subprocess.CompletedProcess[str]) -> None:
    """No traceback and no JSON body reached the user."""
    both = result.stdout + result.stderr
    assert "Traceback" not in both and '{"detail"' not in both and "'loc'" not in both, both


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    running = start_live(tmp_path_factory.mktemp("cli") / "data")
    yield running
    stop_live(running)


# -- not running ----------------------------------------------------------------------------------------


NOT_RUNNING = "tvbridge is not running. Start it with `tvbridge run"


def test_commands_aimed_at_a_stopped_instance_say_it_is_not_running(tmp_path: Path) -> None:
    never_started = tmp_path / "never"
    for args in (["pause"], ["signals", "--follow"], ["strategy", "show", "1"], ["send", "1", "buy EURUSD"]):
        result = cli(never_started, *args)
        assert result.returncode == 3, (args, result)
        assert NOT_RUNNING in result.stderr and str(never_started) in result.stderr
        assert_sentence_only(result)

    stopped = start_live(tmp_path / "stopped", spawn_agent=False)
    admin_url = stopped.runtime.admin_url
    assert cli(stopped, "strategy", "list").returncode == 0
    stop_live(stopped)
    result = cli(stopped, "resume")
    assert result.returncode == 3 and NOT_RUNNING in result.stderr
    assert_sentence_only(result)

    # a crashed instance leaves runtime.json behind, pointing at a port nobody listens on any more
    (stopped.data_dir / "runtime.json").write_text(json.dumps({"admin_url": admin_url}))
    result = cli(stopped, "strategy", "list")
    assert result.returncode == 3 and NOT_RUNNING in result.stderr
    assert_sentence_only(result)


# -- pause, resume, send --------------------------------------------------------------------------------


def test_pause_discards_alerts_until_resume_and_send_exits_non_zero_unless_executed(live: Live) -> None:
    s = live.create_strategy("pause test")
    try:
        paused = cli(live, "pause")
        assert paused.returncode == 0 and "paused" in paused.stdout
        assert live.admin.get("/api/v1/settings").json()["trading_paused"] is True

        sent = cli(live, "send", "pause test", "buy AUDUSD lot=0.01")
        assert sent.returncode == 1
        assert "outcome: discarded - Trading is paused for all strategies. Resume it with `tvbridge resume`, the " \
               "tray menu or the dashboard." in sent.stdout
    finally:
        resumed = cli(live, "resume")
    assert resumed.returncode == 0 and "resumed" in resumed.stdout
    assert live.admin.get("/api/v1/settings").json()["trading_paused"] is False

    sent = cli(live, "send", str(s["strategy_id"]), "buy AUDUSD lot=0.01")
    assert sent.returncode == 0, sent
    assert "outcome: executed" in sent.stdout and "buy 0.01 AUDUSD" in sent.stdout

    unknown = cli(live, "send", "no such strategy", "buy AUDUSD")
    assert unknown.returncode == 1 and "No strategy is named 'no such strategy'" in unknown.stderr


# -- strategy show / edit -------------------------------------------------------------------------------


def test_show_and_edit_every_kind_of_setting(live: Live) -> None:
    s = live.create_strategy("Edit me")
    sid = str(s["strategy_id"])

    shown = cli(live, "strategy", "show", "edit ME")  # by name, case-insensitive
    assert shown.returncode == 0, shown
    assert f"[{sid}] Edit me (enabled, 0 signals)" in shown.stdout
    assert s["webhook_url"] in shown.stdout and str(s["magic_number"]) in shown.stdout
    assert re.search(r"default volume\s+0\.01 lots", shown.stdout)

    edited = cli(live, "strategy", "edit", sid, "--default-volume", "0.03", "--volume-type", "money_loss",
                 "--target-type", "price", "--max-open-positions", "2", "--map", "NQ1!=USTEC", "--map",
                 "GOLD=XAUUSD", "--allow", "EURUSD,XAUUSD", "--allow", "USTEC", "--pip", "XAUUSD=0.1",
                 "--dialect", "tradesgnl", "--halt", "--name", "Edited", "--alert-secret", "s3cret")
    assert edited.returncode == 0, edited
    assert f"Saved [{sid}] Edited:" in edited.stdout
    assert "default volume: 0.01 lots -> 0.03 lots" in edited.stdout
    assert "symbol map: none -> NQ1!=USTEC, GOLD=XAUUSD" in edited.stdout
    now = live.admin.get(f"/api/v1/strategies/{sid}").json()
    assert (now["name"], now["default_volume"], now["volume_type"], now["target_type"]) == \
        ("Edited", 0.03, "money_loss", "price")
    assert now["max_open_positions"] == 2 and now["trading_halted"] is True and now["alert_secret"] == "s3cret"
    assert now["symbol_map"] == {"NQ1!": "USTEC", "GOLD": "XAUUSD"}
    assert now["allowed_pairs"] == ["EURUSD", "XAUUSD", "USTEC"]
    assert now["pip_sizes"] == {"XAUUSD": 0.1} and now["dialects"] == ["tradesgnl"]
    assert "s3cret" not in cli(live, "strategy", "show", sid).stdout  # shown as set, never printed

    edited = cli(live, "strategy", "edit", "edited", "--unmap", "gold", "--disallow", "usteC", "--unpip", "XAUUSD",
                 "--no-dialect", "tradesgnl", "--unhalt", "--clear", "max-open-positions", "--clear", "alert-secret")
    assert edited.returncode == 0, edited
    now = live.admin.get(f"/api/v1/strategies/{sid}").json()
    assert now["symbol_map"] == {"NQ1!": "USTEC"} and now["allowed_pairs"] == ["EURUSD", "XAUUSD"]
    assert now["pip_sizes"] == {} and now["dialects"] == [] and now["trading_halted"] is False
    assert now["max_open_positions"] is None and now["alert_secret"] is None

    missing = cli(live, "strategy", "edit", sid, "--unmap", "US30", "--default-volume", "0.5")
    assert missing.returncode == 2
    assert "US30 is not in the symbol map (it holds NQ1!)" in missing.stderr and "Nothing was changed" in missing.stderr
    assert live.admin.get(f"/api/v1/strategies/{sid}").json()["default_volume"] == 0.03

    nothing = cli(live, "strategy", "edit", sid)
    assert nothing.returncode == 2 and "Nothing to change" in nothing.stderr


def test_a_refused_setting_becomes_a_sentence_naming_the_field(live: Live) -> None:
    s = live.create_strategy("refusals")
    sid = str(s["strategy_id"])
    refused = cli(live, "strategy", "edit", sid, "--default-volume", "0", "--max-lots", "1")
    assert refused.returncode == 1
    assert refused.stderr.strip() == "The default volume (--default-volume) must be more than 0 lots; you sent 0.0."
    assert_sentence_only(refused)
    assert live.admin.get(f"/api/v1/strategies/{sid}").json()["max_lots"] is None  # nothing was half-applied

    refused = cli(live, "strategy", "edit", sid, "--max-signal-age-seconds", "-5")
    assert refused.returncode == 1
    assert "The max signal age seconds (--max-signal-age-seconds) must be at least 1 second; you sent -5." \
        in refused.stderr
    refused = cli(live, "strategy", "create", "x" * 101)
    assert refused.returncode == 1 and "The name (NAME) must be at most 100 characters long" in refused.stderr
    assert_sentence_only(refused)


def test_mapping_a_symbol_from_the_cli_makes_a_refused_alert_trade(live: Live) -> None:
    live.create_strategy("Gold")
    before = cli(live, "send", "Gold", "buy GOLD lot=0.01")
    assert before.returncode == 1 and "outcome: executed" not in before.stdout
    assert "GOLD" in before.stdout and "symbol map" in before.stdout  # the sentence points at the fix

    assert cli(live, "strategy", "edit", "Gold", "--map", "GOLD=XAUUSD").returncode == 0
    after = cli(live, "send", "Gold", "buy GOLD lot=0.01")
    assert after.returncode == 0, after
    assert "outcome: executed" in after.stdout and "buy 0.01 XAUUSD" in after.stdout


# -- rotate and delete ----------------------------------------------------------------------------------


def test_rotate_asks_first_and_prints_the_new_url(live: Live) -> None:
    s = live.create_strategy("rotate me")
    sid = str(s["strategy_id"])

    declined = cli(live, "strategy", "rotate", sid, stdin="n\n")
    assert declined.returncode == 1 and "Rotate the webhook URL of" in declined.stdout
    assert "Not confirmed: the webhook URL is unchanged" in declined.stderr
    no_terminal = cli(live, "strategy", "rotate", sid)  # stdin closed: nobody can answer
    assert no_terminal.returncode == 1 and "Not confirmed" in no_terminal.stderr
    assert live.admin.get(f"/api/v1/strategies/{sid}").json()["webhook_url"] == s["webhook_url"]

    confirmed = cli(live, "strategy", "rotate", sid, stdin="y\n")
    assert confirmed.returncode == 0, confirmed
    new_url = live.admin.get(f"/api/v1/strategies/{sid}").json()["webhook_url"]
    assert new_url != s["webhook_url"] and f"  {new_url}\n" in confirmed.stdout

    again = cli(live, "strategy", "rotate", "ROTATE me", "--yes")
    assert again.returncode == 0 and "Rotate the webhook URL" not in again.stdout
    newest = live.admin.get(f"/api/v1/strategies/{sid}").json()["webhook_url"]
    assert newest in again.stdout and newest != new_url
    assert httpx.post(new_url, content=b"buy EURUSD").json()["status"] == "ignored"  # the old URL is dead


def test_delete_asks_first_and_says_why_when_refused(live: Live) -> None:
    s = live.create_strategy("delete me")
    sid = str(s["strategy_id"])

    declined = cli(live, "strategy", "delete", sid, stdin="n\n")
    assert declined.returncode == 1 and "Not confirmed: nothing was deleted" in declined.stderr
    assert live.admin.get(f"/api/v1/strategies/{sid}").status_code == 200

    unknown = cli(live, "strategy", "delete", "999", "--yes")
    assert unknown.returncode == 1 and unknown.stderr.strip() == \
        "No strategy has id 999. `tvbridge strategy list` shows them."

    deleted = cli(live, "strategy", "delete", sid, stdin="y\n")
    assert deleted.returncode == 0 and f"Deleted [{sid}] delete me." in deleted.stdout
    assert live.admin.get(f"/api/v1/strategies/{sid}").status_code == 404


# -- signals --------------------------------------------------------------------------------------------


def test_signals_table_with_filters(live: Live) -> None:
    a = live.create_strategy("Table A", allowed_pairs=["USDJPY"])
    b = live.create_strategy("Table B")
    ok = live.trade(a, "buy USDJPY lot=0.02")
    refused = live.trade(a, "buy EURGBP lot=0.02")
    other = live.trade(b, "nonsense")
    assert (ok["status"], refused["status"], other["status"]) == ("executed", "rejected", "rejected")

    table = cli(live, "signals", "--strategy", "Table A")
    assert table.returncode == 0, table
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["ID", "RECEIVED", "STRATEGY", "ORDER", "STATUS", "DETAIL"]
    assert [line.split()[0] for line in lines[1:]] == [f"#{ok['id']}", f"#{refused['id']}"]  # oldest first
    assert re.search(rf"#{ok['id']} .* Table A +buy 0\.02 USDJPY +executed +filled at [\d.]+, ticket \d+",
                     lines[1])
    assert "rejected" in lines[2] and refused["error_message"] in lines[2]

    only_rejected = cli(live, "signals", "--status", "rejected", "--limit", "1").stdout.splitlines()
    assert len(only_rejected) == 2 and f"#{other['id']}" in only_rejected[1] and '"nonsense"' in only_rejected[1]

    as_json = [json.loads(line) for line in cli(live, "signals", "--strategy", str(b["strategy_id"]),
                                                "--json").stdout.splitlines()]
    assert [s["id"] for s in as_json] == [other["id"]]

    none = cli(live, "signals", "--strategy", "Table B", "--status", "executed")
    assert none.returncode == 0 and none.stdout.strip() == "No signals match."

    # the API the follower uses: after_id returns exactly the later signals, oldest first
    later = live.admin.get("/api/v1/signals", params={"after_id": ok["id"], "strategy_id": a["strategy_id"]}).json()
    assert [s["id"] for s in later] == [refused["id"]]


class Follow:
    """``tvbridge signals --follow`` running in the background; its stdout lines collected by a thread."""

    def __init__(self, live: Live, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TVBRIDGE_")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tray", "signals", "--follow", "--interval", "0.1", *args,
             "--data-dir", str(live.data_dir)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, pattern: str, timeout: float = 30.0) -> str:
        """The first line (from now on) matching ``pattern``; every line read is kept in ``lines``."""
        while True:
            line = self._queue.get(timeout=timeout)
            if line is None:
                raise AssertionError(f"follow ended before {pattern!r}: {self.lines}, {self.proc.stderr}")
            self.lines.append(line)
            if re.search(pattern, line):
                return line

    def rows(self, signal_id: int, status: str) -> list[str]:
        return [line for line in self.lines if re.match(rf"\s*#{signal_id} .* {status} ", line)]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture
def agentless(tmp_path: Path) -> Iterator[Live]:
    """A tvbridge whose agent the test starts itself, so signals stay pending until it does."""
    running = start_live(tmp_path / "data", spawn_agent=False)
    yield running
    stop_live(running)  # also stops the agent the test started


def start_agent(live: Live) -> None:
    rt = live.runtime
    assert rt.ctx is not None
    rt.agent = AgentProcess(agent_command(rt.settings, rt.paths, rt.admin_url),
                            agent_environment(rt.settings, rt.ctx.agent_token))
    rt.agent.start()


def test_follow_prints_each_new_signal_and_each_status_change_exactly_once(agentless: Live) -> None:
    live = agentless
    s = live.create_strategy("Followed")
    other = live.create_strategy("Not followed")
    before = live.post_alert(s, "buy EURUSD lot=0.01").json()["signal_id"]  # pending when follow starts

    follow = Follow(live, "--strategy", "Followed", "--limit", "5")
    try:
        follow.wait_for(r"^Following:")
        assert len(follow.rows(before, "pending")) == 1  # the history

        new = live.post_alert(s, "sell GBPUSD lot=0.01").json()["signal_id"]
        follow.wait_for(rf"#{new} .* pending ")
        hidden = live.post_alert(other, "buy EURUSD lot=0.01").json()["signal_id"]

        start_agent(live)  # both pending signals now execute
        follow.wait_for(rf"#{before} .* executed ")
        follow.wait_for(rf"#{new} .* executed ")
        refused = live.post_alert(s, "hello").json()["signal_id"]  # final at once: one row
        follow.wait_for(rf"#{refused} .* rejected ")
        last = live.post_alert(s, "buy USDCAD lot=0.01").json()["signal_id"]
        follow.wait_for(rf"#{last} .* executed ")
        assert live.wait_final(hidden)["status"] == "executed"
        closing = live.post_alert(s, "close EURUSD").json()["signal_id"]
        follow.wait_for(rf"#{closing} .* executed ")  # every earlier row had its chance to repeat by now
    finally:
        follow.stop()

    for signal_id in (before, new):
        assert len(follow.rows(signal_id, "pending")) == 1, follow.lines
        assert len(follow.rows(signal_id, "executed")) == 1, follow.lines
    assert len(follow.rows(refused, "rejected")) == 1 and not follow.rows(refused, "pending")
    assert len(follow.rows(last, "executed")) == 1 and len(follow.rows(last, "pending")) <= 1
    assert not [line for line in follow.lines if f"#{hidden} " in line or "Not followed" in line]
