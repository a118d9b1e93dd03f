"""Outgoing email through the standard library's smtplib; the only module that talks SMTP.

Settings come from the environment (`SMTP_HOST`, `SMTP_PORT`, `SMTP_USERNAME`, `SMTP_PASSWORD`,
`SMTP_FROM`, `SMTP_SECURITY`); the password is a SecretStr and never appears in messages or errors.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Protocol

from dashboard.core.settings import Settings


class MailError(Exception):
    """Sending failed; the message says why without any secret."""


class Sender(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class SmtpSender:
    def __init__(self, settings: Settings) -> None:
        if not settings.smtp_host or not settings.smtp_from:
            raise MailError("SMTP is not configured: set SMTP_HOST and SMTP_FROM.")
        if settings.smtp_security not in ("starttls", "ssl", "none"):
            raise MailError("SMTP_SECURITY must be starttls, ssl or none.")
        self.settings = settings
        self.from_address = settings.smtp_from

    def send(self, message: EmailMessage) -> None:
        s = self.settings
        try:
            if s.smtp_security == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.smtp_host,
                    s.smtp_port,
                    timeout=s.smtp_timeout_seconds,
                    context=ssl.create_default_context(),
                )
            else:
                client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
            with client:
                if s.smtp_security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if s.smtp_username:
                    password = s.smtp_password.get_secret_value() if s.smtp_password else ""
                    client.login(s.smtp_username, password)
                refused = client.send_message(message)
        except (smtplib.SMTPException, OSError) as error:
            raise MailError(f"{type(error).__name__}: {error}") from None
        if refused:
            raise MailError(f"refused recipients: {', '.join(sorted(refused))}")
