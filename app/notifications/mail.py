"""Sending e-mail over SMTP (aiosmtplib): one connection kept open for a dispatch run."""

from __future__ import annotations

import asyncio
import logging
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from app.gateway_urls import SmtpServer
from app.notifications.letters import Answer, Letter, LetterResult

log = logging.getLogger("aftercare.mail")


class MailSender:
    """Sends letters one after another over one SMTP connection, opened on the first letter of
    a run and closed by `release()` at its end (bench/mail_throughput.py: reusing it is what
    makes a burst go at the server's pace rather than at the handshakes').

    SMTP carries one message at a time per connection, so sends wait their turn on a lock; a
    dropped connection is opened again for the next letter.
    """

    def __init__(self, server: SmtpServer, *, sender: str, timeout: float) -> None:
        self._server = server
        self._from = sender
        self._timeout = timeout
        self._smtp: aiosmtplib.SMTP | None = None
        self._turn: asyncio.Lock | None = None
        self.connections = 0  # opened so far (the benchmark reads it)

    async def send(self, letter: Letter) -> LetterResult:
        if self._turn is None:
            self._turn = asyncio.Lock()  # made on the loop that sends
        async with self._turn:
            try:
                smtp = await self._connection()
                await smtp.send_message(self._message(letter))
            except aiosmtplib.SMTPRecipientsRefused as exc:
                return _refused_or_retry(exc.recipients[0].code, exc.recipients[0].message)
            except aiosmtplib.SMTPResponseException as exc:
                if not isinstance(exc, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError):
                    await self.release()  # the session is in an unknown state: start afresh
                return _refused_or_retry(exc.code, exc.message)
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                await self.release()
                return LetterResult(Answer.RETRY, f"mail server: {type(exc).__name__}")
        return LetterResult(Answer.SENT)

    async def release(self) -> None:
        """Close the connection (the end of a run): servers drop idle ones after minutes."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            if smtp.is_connected:
                await smtp.quit(timeout=self._timeout)
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            smtp.close()

    async def _connection(self) -> aiosmtplib.SMTP:
        if self._smtp is not None and self._smtp.is_connected:
            return self._smtp
        server = self._server
        smtp = aiosmtplib.SMTP(
            hostname=server.host,
            port=server.port,
            username=server.username,
            password=server.password,
            use_tls=server.implicit_tls,
            start_tls=True if server.require_starttls else None,
            timeout=self._timeout,
        )
        await smtp.connect()
        self.connections += 1
        self._smtp = smtp
        return smtp

    def _message(self, letter: Letter) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._from
        message["To"] = letter.to
        message["Subject"] = letter.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self._from.rpartition("@")[2] or None)
        if letter.unsubscribe:
            message["List-Unsubscribe"] = f"<{letter.unsubscribe}>"
        # Automatic: no out-of-office answers back to the clinic's sending address.
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(letter.text)
        if letter.html:
            message.add_alternative(letter.html, subtype="html")
        return message


def _refused_or_retry(code: int, text: str) -> LetterResult:
    """5xx is permanent (no such mailbox); 4xx and anything else may pass later (RFC 5321)."""
    error = f"mail server {code}: {text}"[:300]
    if 500 <= code < 600:
        return LetterResult(Answer.REFUSED, error)
    return LetterResult(Answer.RETRY, error)
