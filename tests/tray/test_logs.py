"""Secrets never reach the log files, whatever logger writes them."""

from __future__ import annotations

import logging
from pathlib import Path

from tray.logs import redact, setup_logging, teardown_logging


def test_redact_masks_webhook_secrets_and_tokens() -> None:
    line = 'POST /api/v1/webhooks/tv/AbC_123-xyz HTTP/1.1 Authorization: Bearer s3cr3t.t0k ?token=qwerty&x=1'
    out = redact(line)
    assert "AbC_123-xyz" not in out and "s3cr3t.t0k" not in out and "qwerty" not in out
    assert "/api/v1/webhooks/tv/***" in out


def test_redact_masks_sign_in_codes_and_url_encoded_tokens_but_keeps_retcodes() -> None:
    line = ("GET /sign-in?code=Zx9_abc-DEF HTTP/1.1 /?token%3Dq1w2e3 http://127.0.0.1:8766/sign-in#code=Q-77 "
            "retcode=10009 authtoken=n9")
    out = redact(line)
    assert "Zx9_abc-DEF" not in out and "q1w2e3" not in out and "Q-77" not in out and "n9" not in out
    assert "retcode=10009" in out


def test_uvicorn_style_access_log_arguments_are_redacted(tmp_path: Path) -> None:
    path = setup_logging(tmp_path, "t")
    access = logging.getLogger("uvicorn.access")
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "POST", "/api/v1/webhooks/tv/TOPSECRET42", "1.1", 200)
    teardown_logging()
    text = path.read_text()
    assert "TOPSECRET42" not in text
    assert "/api/v1/webhooks/tv/*** HTTP/1.1" in text
