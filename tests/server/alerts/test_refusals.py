"""Refusals that apply before any format: empty, oversized, non-UTF-8, placeholders; and the safety net."""

from __future__ import annotations

import pytest

import server.alerts as alerts
from server.alerts import MAX_BODY_BYTES, AlertRejected, ParseContext, parse_alert
from tests.server.alerts import assert_sentence, parse, rejected


@pytest.mark.parametrize("body", ["", "   ", "\r\n\r\n", "\ufeff", "\t"])
def test_empty_bodies(body: str) -> None:
    rejected(body, "empty")


def test_oversized_bodies_are_refused_before_parsing() -> None:
    body = b'{"symbol":"EURUSD","action":"buy","lots":0.1,"pad":"' + b"x" * MAX_BODY_BYTES + b'"}'
    with pytest.raises(AlertRejected, match="64 KiB"):
        parse_alert(body, ParseContext())


def test_a_body_at_the_limit_is_read() -> None:
    head = b'{"symbol":"EURUSD","action":"buy","lots":0.1,"pad":"'
    body = head + b"x" * (MAX_BODY_BYTES - len(head) - 2) + b'"}'
    assert len(body) == MAX_BODY_BYTES
    assert parse(body).symbol == "EURUSD"


def test_non_utf8_bodies() -> None:
    rejected(b"buy EURUSD lot=0.1 \xff\xfe", "UTF-8")


@pytest.mark.parametrize(
    ("body", "placeholder"),
    [
        ("{{strategy.order.alert_message}}", "{{strategy.order.alert_message}}"),
        ('{"ticker":"{{ticker}}","action":"buy","lots":1}', "{{ticker}}"),
        ("60123456789,{{strategy.order.action}},EURUSD,risk=1", "{{strategy.order.action}}"),
        ("buy EURUSD lot=0.1 sl={{plot_0}}", "{{plot_0}}"),
        ('{"sl":"{{plot(\\"Stop\\")}}"}', "{{plot("),
        ("buy {{Ticker}} lot=1", "{{Ticker}}"),
    ],
)
def test_unsubstituted_placeholders_are_named(body: str, placeholder: str) -> None:
    message = rejected(body, "placeholder", "did not substitute")
    if "{{plot(" not in placeholder:
        assert placeholder in message


def test_strategy_placeholders_explain_where_they_work() -> None:
    rejected("buy EURUSD lot={{strategy.order.contracts}}", "strategy")


def test_internal_errors_become_a_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str, ctx: ParseContext) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(alerts, "parse_json", broken)
    with pytest.raises(AlertRejected) as caught:
        parse_alert(b'{"symbol":"EURUSD"}', ParseContext())
    assert_sentence(str(caught.value))
    assert "internal error" in str(caught.value)


def test_the_context_defaults_to_pineconnector_settings() -> None:
    intent = parse_alert(b"60123456789,buy,EURUSD,risk=1,sl=20")
    assert intent.actions[0].sl.unit == "pips"  # type: ignore[union-attr]
