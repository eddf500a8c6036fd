"""extract_routing: secret, License ID and strategy for the universal webhook endpoint; never raises."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.alerts import Routing, extract_routing


@pytest.mark.parametrize(
    ("body", "routing"),
    [
        ('{"secret":"abc","strategy":"london","action":"buy"}', Routing(secret="abc", strategy="london")),
        ('{"api_sec":"abc","license_id":60123456789}', Routing(secret="abc", license_id="60123456789")),
        ('{"strategy":{"market_position":"long"},"secret":"s"}', Routing(secret="s")),
        ('{"action":"buy"}', Routing()),
        ("60123456789,buy,EURUSD,risk=1", Routing(license_id="60123456789")),
        ("60123456789,sell,EURUSD,vol_lots=1, secret=HappyTrader501",
         Routing(secret="HappyTrader501", license_id="60123456789")),
        # a comment is not a strategy name: only an explicit strategy= narrows the routing
        ('60123456789,buy,EURUSD,risk=1,comment="Strat A"', Routing(license_id="60123456789")),
        ("60123456789,buy,EURUSD,risk=1,comment=x,strategy=ldn", Routing(license_id="60123456789", strategy="ldn")),
        ("buy EURUSD lot=0.1 secret=abc strategy=ldn", Routing(secret="abc", strategy="ldn")),
        ("buy EURUSD lot=0.1 secret=abc comment=ldn", Routing(secret="abc")),
        ('{"strategy": "DynamicGoldBreakout", "signal": "BUY", "confidence": 0.82, "secret": "k"}',
         Routing(secret="k", strategy="DynamicGoldBreakout")),
        ('{"ticker": "ETHUSDT.P", "symbol": "ETHUSDT_UMCBL", "api_sec": "asdfasdfasdfasdf"}',
         Routing(secret="asdfasdfasdfasdf")),
        ("signal=buy;secret = abc;symbol=EURUSD", Routing(secret="abc")),
        ("", Routing()),
        ('{"secret":"abc",', Routing()),
        (b"\xff\xfe", Routing()),
    ],
)  # fmt: skip
def test_routing(body: str | bytes, routing: Routing) -> None:
    assert extract_routing(body.encode() if isinstance(body, str) else body) == routing


def test_oversized_bodies_give_no_routing() -> None:
    assert extract_routing(b"secret=abc " + b"x" * 70000) == Routing()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_never_raises(body: bytes) -> None:
    routing = extract_routing(body)
    assert isinstance(routing, Routing)
