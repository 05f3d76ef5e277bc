"""The outgoing mail server and SMS gateway, parsed from their one-URL settings."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

SCHEMES = ("smtp", "smtps")


@dataclass(frozen=True)
class SmtpServer:
    """Where mail goes, from AFTERCARE_SMTP_URL: `smtp://user:pass@host:587` (STARTTLS) or
    `smtps://user:pass@host:465` (TLS from the start)."""

    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    # STARTTLS is required, except on a loopback relay (a local MTA, the tests), where it is
    # used if offered: a relay on the same machine has no network to protect.
    require_starttls: bool

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise ValueError(
                "must be smtp://user:password@host:587 (STARTTLS) or smtps://user:password@host:465"
            )
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit else 587),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=implicit,
            require_starttls=not implicit and not _loopback(parts.hostname),
        )


TWILIO_API = "https://api.twilio.com"
HELP = (
    "must be twilio://ACCOUNT_SID:AUTH_TOKEN@+FROM_NUMBER[?api=https://...] or "
    "webhook+https://[TOKEN@]host/path"
)


@dataclass(frozen=True)
class SmsGateway:
    """A parsed AFTERCARE_SMS_URL."""

    kind: str  # "twilio" or "webhook"
    endpoint: str
    username: str = ""
    secret: str = ""
    sender: str = ""

    @classmethod
    def from_url(cls, url: str) -> SmsGateway:
        parts = urlsplit(url)
        if parts.scheme == "twilio":
            # The sender number sits where a host would; urlsplit would lower-case and mangle it.
            userinfo, _, sender = parts.netloc.rpartition("@")
            sid, _, token = userinfo.partition(":")
            if not (sid and token and sender):
                raise ValueError(HELP)
            api = TWILIO_API
            for pair in parts.query.split("&"):
                key, _, value = pair.partition("=")
                if key == "api" and value:
                    api = unquote(value).rstrip("/")
            return cls(
                kind="twilio",
                endpoint=f"{api}/2010-04-01/Accounts/{unquote(sid)}/Messages.json",
                username=unquote(sid),
                secret=unquote(token),
                sender=unquote(sender),
            )
        if parts.scheme in ("webhook+https", "webhook+http") and parts.hostname:
            host = parts.hostname + (f":{parts.port}" if parts.port else "")
            path = parts.path or "/"
            query = f"?{parts.query}" if parts.query else ""
            return cls(
                kind="webhook",
                endpoint=f"{parts.scheme.removeprefix('webhook+')}://{host}{path}{query}",
                secret=unquote(parts.username or ""),
            )
        raise ValueError(HELP)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
