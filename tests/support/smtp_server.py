"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for the e-mail tests.

Addresses steer it the way a real server would answer: `bounce…@` is refused for good (550),
`busy…@` for now (451); `hang` makes it stop answering mid-message, and `drop_next` closes
the connection on the next message.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass(frozen=True)
class Mail:
    sender: str
    recipients: list[str]
    message: EmailMessage
    peer: str  # the connection it came over (the client's address and port)

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return "" if part is None else str(part.get_content())


class _Handler:
    def __init__(self, server: LoopbackSmtp) -> None:
        self._server = server

    async def handle_RCPT(
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.startswith("bounce"):
            return "550 5.1.1 No such mailbox"
        if address.startswith("busy"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        server = self._server
        if server.hang:
            await asyncio.sleep(3600)
        if server.drop_next:
            server.drop_next = False
            assert smtp.transport is not None
            smtp.transport.close()
            return "421 closing"
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with server.lock:
            server.mails.append(
                Mail(str(envelope.mail_from), list(envelope.rcpt_tos), message, str(session.peer))
            )
        return "250 Message accepted"


class LoopbackSmtp:
    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.lock = threading.Lock()
        self.hang = False
        self.drop_next = False
        # A free port found first: the controller checks it started by connecting to it.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def received(self) -> list[Mail]:
        with self.lock:
            return list(self.mails)

    def reset(self) -> None:
        with self.lock:
            self.mails.clear()
        self.hang = False
        self.drop_next = False

    def __enter__(self) -> Self:
        self._controller.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.hang = False
        self._controller.stop()
