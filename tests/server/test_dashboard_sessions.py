"""Sign-in codes and dashboard sessions: single use, short life, idle expiry, bounded memory."""

from __future__ import annotations

from server.dashboard.sessions import MAX_PENDING_CODES, MAX_SESSIONS, DashboardSessions


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_code_works_once() -> None:
    sessions = DashboardSessions()
    code = sessions.issue_code().code
    session = sessions.redeem(code)
    assert session is not None and session.csrf_token != session.session_id
    assert sessions.redeem(code) is None
    assert sessions.csrf_token(session.session_id) == session.csrf_token


def test_a_code_expires_after_its_minute() -> None:
    clock = Clock()
    sessions = DashboardSessions(clock=clock)
    code = sessions.issue_code()
    assert code.expires_in == 60.0
    clock.now += 60.5
    assert sessions.redeem(code.code) is None


def test_unknown_codes_and_sessions_open_nothing() -> None:
    sessions = DashboardSessions()
    assert sessions.redeem("made-up") is None
    assert sessions.csrf_token("made-up") is None


def test_sessions_end_when_idle_and_at_sign_out() -> None:
    clock = Clock()
    sessions = DashboardSessions(clock=clock, idle_timeout=100)
    a = sessions.redeem(sessions.issue_code().code)
    b = sessions.redeem(sessions.issue_code().code)
    assert a is not None and b is not None
    clock.now += 90
    assert sessions.csrf_token(a.session_id) == a.csrf_token  # used: the idle time restarts
    clock.now += 90
    assert sessions.csrf_token(a.session_id) == a.csrf_token
    assert sessions.csrf_token(b.session_id) is None  # idle for 180 s
    sessions.end(a.session_id)
    assert sessions.csrf_token(a.session_id) is None


def test_memory_is_bounded() -> None:
    sessions = DashboardSessions()
    codes = [sessions.issue_code().code for _ in range(MAX_PENDING_CODES + 5)]
    assert sessions.redeem(codes[0]) is None  # the oldest unused codes were dropped
    assert sessions.redeem(codes[-1]) is not None
    live = [sessions.redeem(sessions.issue_code().code) for _ in range(MAX_SESSIONS + 1)]
    assert all(s is not None for s in live)
    assert sessions.csrf_token(live[0].session_id) is None  # type: ignore[union-attr]
    assert sessions.csrf_token(live[-1].session_id) is not None  # type: ignore[union-attr]


def test_the_link_carries_the_code_in_the_fragment() -> None:
    url = DashboardSessions().sign_in_url("http://127.0.0.1:8766/")
    assert url.startswith("http://127.0.0.1:8766/sign-in#code=") and len(url.split("=", 1)[1]) >= 40
