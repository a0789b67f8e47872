"""Alert channels and the notification outbox.

Every alert event (opened, escalated, reminder, resolved) is written to ``notifications`` in the same
transaction as the alert change, one row per channel; a monitor then delivers pending rows and marks them.
A kill between the two loses nothing (the row is delivered after the restart); a kill after delivering but
before marking can repeat one message, never the alert. A row is leased while it is being sent, so two
monitors never send it at once, and retried with backoff up to ``MAX_ATTEMPTS``.

Channels (each on when its settings are there): a Slack-compatible webhook (``$BIGDAY_WEBHOOK_URL``), a
generic JSON webhook signed with HMAC-SHA256 (``$BIGDAY_ALERT_WEBHOOK_URL``, ``$BIGDAY_ALERT_WEBHOOK_SECRET``),
and e-mail over SMTP (``monitor.email`` in the scenario; ``$BIGDAY_SMTP_USER``/``$BIGDAY_SMTP_PASSWORD``).
URLs and passwords come from the environment only and never reach output, the store or an error message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, Protocol

import httpx
from sqlalchemy import Connection, select

from bigday.runfolder import utc_now
from bigday.settings import resolve
from bigday.settings.scenario import EmailChannel as EmailSettings
from bigday.settings.scenario import Scenario
from bigday.store import schema
from bigday.store.engine import Store

TIMEOUT_S = 5.0
LEASE_S = 120.0
MAX_ATTEMPTS = 6
BACKOFF_S = (30.0, 120.0, 600.0, 1800.0, 3600.0)
EVENTS = ("opened", "escalated", "reminder", "resolved")
SIGNATURE_HEADER = "X-Bigday-Signature"
TIMESTAMP_HEADER = "X-Bigday-Timestamp"
_ICON = {"critical": ":red_circle:", "high": ":large_orange_circle:", "medium": ":large_yellow_circle:"}


class DeliveryFailed(Exception):
    """A channel could not deliver; the message names what happened, never a URL or a secret."""


class Channel(Protocol):
    @property
    def name(self) -> str: ...

    def send(self, message: dict[str, Any]) -> None: ...


def summary(message: dict[str, Any]) -> str:
    """One line a person reads: ``[critical] availability opened: dashboard (lumen) - 3 failing checks``."""
    who = f" ({message['tenant']})" if message.get("tenant") else ""
    metric = "" if message["type"] == "availability" else f" {message['metric']}"
    text = f"[{message['severity']}] {message['type']}{metric} {message['event']}: {message['page']}{who}"
    return text + (f" - {message['text']}" if message.get("text") else "")


def _post(url: str, body: bytes, headers: dict[str, str]) -> None:
    try:
        resp = httpx.post(url, content=body, headers={"Content-Type": "application/json", **headers}, timeout=TIMEOUT_S)
    except httpx.HTTPError as e:
        raise DeliveryFailed(type(e).__name__) from None  # its text can quote the URL, which is a secret
    if resp.status_code >= 300:
        raise DeliveryFailed(f"HTTP {resp.status_code}")


@dataclass(frozen=True)
class SlackChannel:
    url: str
    name: str = "slack"

    def send(self, message: dict[str, Any]) -> None:
        line = summary(message)
        body = {
            "text": line,
            "blocks": [
                {
                    "type": "section",
                    "text": {
                        "type": "mrkdwn",
                        "text": f"{_ICON.get(message['severity'], ':white_circle:')} {line}"[:2900],
                    },
                }
            ],
        }
        _post(self.url, json.dumps(body).encode(), {})


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``timestamp.body``: a receiver recomputes it and compares."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@dataclass(frozen=True)
class WebhookChannel:
    url: str
    secret: str | None
    name: str = "webhook"

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"version": 1, **message}, sort_keys=True).encode()
        ts = str(int(time.time()))
        headers = {TIMESTAMP_HEADER: ts, "X-Bigday-Event": str(message["event"])}
        if self.secret:
            headers[SIGNATURE_HEADER] = sign(self.secret, ts, body)
        _post(self.url, body, headers)


@dataclass(frozen=True)
class MailChannel:
    settings: EmailSettings
    user: str | None
    password: str | None
    name: str = "email"

    def send(self, message: dict[str, Any]) -> None:
        s = self.settings
        mail = EmailMessage()
        mail["Subject"] = f"bigday: {summary(message)}"[:200]
        mail["From"] = s.sender
        mail["To"] = ", ".join(s.to)
        lines = [summary(message), ""] + [f"{k}: {v}" for k, v in message.items() if v not in (None, "")]
        mail.set_content("\n".join(lines) + "\n")
        try:
            smtp: smtplib.SMTP
            if s.security == "ssl":
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_s, context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_s)
            with smtp:
                if s.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if self.user and self.password:
                    smtp.login(self.user, self.password)
                smtp.send_message(mail)
        except (smtplib.SMTPException, OSError) as e:
            code = getattr(e, "smtp_code", None)
            raise DeliveryFailed(f"SMTP {code}" if code else type(e).__name__) from None


def channels_from(scenario: Scenario) -> list[Channel]:
    """The channels whose settings are present, in a fixed order."""
    out: list[Channel] = []
    slack = resolve.webhook_url()
    if slack:
        out.append(SlackChannel(slack))
    url, secret = resolve.alert_webhook()
    if url:
        out.append(WebhookChannel(url, secret))
    if scenario.monitor.email is not None:
        user, password = resolve.smtp_credentials()
        out.append(MailChannel(scenario.monitor.email, user, password))
    return out


def enqueue(conn: Connection, alert_id: int, message: dict[str, Any], channels: list[str], now: datetime) -> None:
    """One pending row per channel, inside the caller's transaction (the alert change's)."""
    n = schema.notifications
    for channel in channels:
        conn.execute(
            n.insert().values(
                alert_id=alert_id,
                event=message["event"],
                channel=channel,
                payload=json.dumps(message, default=str),
                created_at=now,
                next_attempt_at=now,
                attempts=0,
            )
        )


@dataclass(frozen=True)
class Delivery:
    """What became of one pending notification."""

    id: int
    channel: str
    event: str
    alert_id: int
    sent: bool
    detail: str
    gave_up: bool = False


def _claim(store: Store, channels: list[str], now: datetime, limit: int) -> list[Any]:
    n = schema.notifications
    with store.begin("claiming notifications") as conn:
        rows = conn.execute(
            select(n.c.id, n.c.alert_id, n.c.event, n.c.channel, n.c.payload, n.c.attempts)
            .where(
                n.c.sent_at.is_(None),
                n.c.given_up_at.is_(None),
                n.c.next_attempt_at <= now,
                n.c.channel.in_(channels),
            )
            .order_by(n.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).fetchall()
        if rows:
            # The lease: another monitor skips these until it runs out (a kill mid-send means a retry).
            conn.execute(
                n.update()
                .where(n.c.id.in_([r.id for r in rows]))
                .values(next_attempt_at=now + timedelta(seconds=LEASE_S), attempts=n.c.attempts + 1)
            )
    return list(rows)


def deliver_pending(store: Store, channels: list[Channel], limit: int = 20) -> list[Delivery]:
    """Send what is due on the configured channels; returns what happened to each."""
    by_name = {c.name: c for c in channels}
    if not by_name:
        return []
    n = schema.notifications
    out = []
    for row in _claim(store, sorted(by_name), utc_now(), limit):
        attempts = int(row.attempts) + 1
        try:
            by_name[row.channel].send(json.loads(row.payload))
            sent, detail = True, "sent"
        except DeliveryFailed as e:
            sent, detail = False, str(e)
        now = utc_now()
        gave_up = not sent and attempts >= MAX_ATTEMPTS
        values: dict[str, Any] = {"sent_at": now} if sent else {"last_error": detail}
        if not sent:
            if gave_up:
                values["given_up_at"] = now
            else:
                values["next_attempt_at"] = now + timedelta(seconds=BACKOFF_S[min(attempts - 1, len(BACKOFF_S) - 1)])
        with store.begin("marking a notification") as conn:
            conn.execute(n.update().where(n.c.id == row.id).values(**values))
        out.append(Delivery(row.id, row.channel, row.event, row.alert_id, sent, detail, gave_up))
    return out
