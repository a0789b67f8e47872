"""Slack-compatible webhook notification of new alerts; the URL comes from the environment and is never shown."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from bigday.runfolder import Alert
from bigday.settings import resolve

WEBHOOK_ENV = "BIGDAY_WEBHOOK_URL"
TIMEOUT_S = 5.0
ATTEMPTS = 3
BACKOFF_S = 0.5
_ICON = {
    "critical": ":red_circle:",
    "high": ":large_orange_circle:",
    "medium": ":large_yellow_circle:",
    "low": ":white_circle:",
}


@dataclass(frozen=True)
class WebhookResult:
    """What happened to one notification (never carries the URL)."""

    sent: bool
    attempts: int
    detail: str


def payload(run_id: str, alerts: list[Alert]) -> dict[str, object]:
    """``{"text", "blocks"}``: Slack renders the blocks; other receivers read ``text``."""
    worst = max((a.severity for a in alerts), key=["low", "medium", "high", "critical"].index)
    text = f"bigday: {len(alerts)} new alert(s) for run {run_id} (worst: {worst})"
    lines = [
        f"{_ICON[a.severity]} *{a.severity}* {a.type}: {a.page} {a.metric} actual {a.actual:.4g} vs {a.threshold:.4g}"
        if a.actual is not None and a.threshold is not None
        else f"{_ICON[a.severity]} *{a.severity}* {a.type}: {a.page} {a.metric}"
        for a in alerts
    ]
    return {
        "text": text + "\n" + "\n".join(lines),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": text[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:2900]}},
        ],
    }


def notify(
    run_id: str, alerts: list[Alert], url: str | None = None, timeout_s: float = TIMEOUT_S, backoff_s: float = BACKOFF_S
) -> WebhookResult | None:
    """POST new alerts to $BIGDAY_WEBHOOK_URL with a timeout and retries; None when nothing to do."""
    url = resolve.webhook_url(url)
    fresh = [a for a in alerts if a.new]
    if not url or not fresh:
        return None
    body = payload(run_id, fresh)
    detail = ""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            resp = httpx.post(url, json=body, timeout=timeout_s)
            if resp.status_code < 300:
                return WebhookResult(True, attempt, f"HTTP {resp.status_code}")
            detail = f"HTTP {resp.status_code}"
            if resp.status_code < 500 and resp.status_code != 429:
                break  # the receiver refused the message; repeating it will not help
        except httpx.HTTPError as e:
            # The exception's text can quote the URL, which is a secret: keep only its kind.
            detail = type(e).__name__
        if attempt < ATTEMPTS:
            time.sleep(backoff_s * 2 ** (attempt - 1))
    return WebhookResult(False, attempt, detail)
