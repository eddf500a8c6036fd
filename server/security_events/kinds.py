"""What a refused sender did: the kinds of security events, in words, and the endpoints they hit."""

from __future__ import annotations

from enum import StrEnum


class SecurityKind(StrEnum):
    """Why a request was refused (or held back). Each is counted and recorded (:mod:`server.security_events`)."""

    #: A per-strategy URL whose secret no strategy has: never issued, rotated, or the strategy was deleted.
    UNKNOWN_URL = "unknown_url"
    #: The universal endpoint with no secret in the body (a License ID and a name are not secrets).
    MISSING_SECRET = "missing_secret"
    #: The universal endpoint with a secret no strategy has (or not with the strategy name the body gives).
    UNKNOWN_SECRET = "unknown_secret"
    #: A strategy reached, but its alert secret (``secret=``) differs.
    WRONG_ALERT_SECRET = "wrong_alert_secret"
    #: A strategy reached, but the PineConnector License ID differs or is empty.
    WRONG_LICENSE_ID = "wrong_license_id"
    #: A strategy that requires signed alerts, and the signature is missing, malformed, expired, forged or replayed.
    BAD_SIGNATURE = "bad_signature"
    #: Over a strategy's rate limit, or unknown-secret requests over the per-source limit.
    RATE_LIMITED = "rate_limited"


#: One line per kind for the API, the dashboard and notifications.
WORDS: dict[SecurityKind, str] = {
    SecurityKind.UNKNOWN_URL: "alert to an unknown webhook URL (never issued, rotated or deleted)",
    SecurityKind.MISSING_SECRET: "alert to the universal URL without a secret",
    SecurityKind.UNKNOWN_SECRET: "alert to the universal URL with an unknown secret",
    SecurityKind.WRONG_ALERT_SECRET: "alert with a wrong secret=",
    SecurityKind.WRONG_LICENSE_ID: "alert with a wrong or empty License ID",
    SecurityKind.BAD_SIGNATURE: "alert with a missing, wrong, old or replayed signature",
    SecurityKind.RATE_LIMITED: "alert over a rate limit",
}

#: The threshold notification per kind: ``{n}`` alerts in ``{minutes}`` minutes, then what to check.
ALARMS: dict[SecurityKind, str] = {
    SecurityKind.UNKNOWN_URL: (
        "{n} alerts to an unknown URL in {minutes} minutes — did you rotate a secret and not update TradingView?"
    ),
    SecurityKind.MISSING_SECRET: (
        "{n} alerts to the universal URL without a secret in {minutes} minutes — add the strategy's secret "
        '("secret" or "api_sec") to those alert messages.'
    ),
    SecurityKind.UNKNOWN_SECRET: (
        "{n} alerts to the universal URL with an unknown secret in {minutes} minutes — did you rotate a secret "
        "and not update TradingView?"
    ),
    SecurityKind.WRONG_ALERT_SECRET: (
        "{n} alerts with a wrong secret= in {minutes} minutes — check the secret in those alert messages."
    ),
    SecurityKind.WRONG_LICENSE_ID: (
        "{n} alerts with a wrong License ID in {minutes} minutes — check the License ID in those alert messages."
    ),
    SecurityKind.BAD_SIGNATURE: (
        "{n} alerts with a bad signature in {minutes} minutes — check the sender's signing secret and clock, "
        "or someone is posting to a strategy's URL."
    ),
    SecurityKind.RATE_LIMITED: (
        "{n} alerts over a rate limit in {minutes} minutes — a sender is looping, or someone is flooding a URL."
    ),
}

#: The route templates events name (never a path with its secret).
ENDPOINT_STRATEGY_URL = "/api/v1/webhooks/tv/{secret}"
ENDPOINT_UNIVERSAL = "/api/v1/webhooks/tv"
ENDPOINT_TEST_ALERT = "/api/v1/strategies/{id}/test-alert"
