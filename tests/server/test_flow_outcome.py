"""The rule that derives a fanned-out signal's status from its accounts' results (server/flow/outcome.py)."""

from __future__ import annotations

import itertools

from server.flow.outcome import AccountResult, derive
from server.models import SignalStatus


def _r(agent: str, status: str, message: str | None = None) -> AccountResult:
    return AccountResult(agent, 1.0, {"status": status, "error_message": message})


def test_every_account_executed_is_executed() -> None:
    assert derive([_r("a", "executed"), _r("b", "executed")]) == (SignalStatus.EXECUTED, None)


def test_all_ended_alike_without_executing_keeps_that_outcome_with_each_reason() -> None:
    status, sentence = derive([_r("a", "rejected", "Too small."), _r("b", "rejected", "Market closed.")])
    assert status is SignalStatus.REJECTED
    assert sentence == "Not executed on any account: rejected on 'a': Too small; rejected on 'b': Market closed."


def test_a_mix_is_failed_naming_the_accounts() -> None:
    status, sentence = derive([_r("a", "executed"), _r("b", "expired", "No agent took it.")])
    assert status is SignalStatus.FAILED
    assert sentence is not None
    assert sentence.startswith("Executed on 'a' only; expired on 'b': No agent took it.")
    status, sentence = derive([_r("a", "rejected", "x"), _r("b", "failed", "y")])
    assert status is SignalStatus.FAILED
    assert sentence == "Not executed on any account: rejected on 'a': x; failed on 'b': y."


def test_the_status_does_not_depend_on_the_order_of_the_accounts() -> None:
    results = [_r("a", "executed"), _r("b", "rejected", "x"), _r("c", "executed")]
    assert {derive(list(p))[0] for p in itertools.permutations(results)} == {SignalStatus.FAILED}
