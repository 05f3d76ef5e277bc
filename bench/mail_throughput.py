"""E-mail send throughput: one SMTP connection reused for a burst against one per message.

Run: .venv/bin/python -m bench.mail_throughput [--messages 300] [--latency-ms 5]
A real SMTP server (aiosmtpd) listens on loopback and answers each command after
--latency-ms, as a mail server a few milliseconds away would (0: loopback as it is). The
dispatcher's MailSender sends --messages reminder e-mails, first as it does in a dispatch
run (one connection, opened by the first letter, kept for the rest, closed at the end), then
opening and closing a connection for every letter, in the same process one after the other.
It prints messages per second for both, their ratio, and the connections each opened.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import time
import uuid
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from app.gateway_urls import SmtpServer
from app.notifications.letter_text import reminder_letter
from app.notifications.mail import MailSender
from app.notifications.models import Channel
from bench.common import describe, machine, write_results


class _SlowServer:
    """Accepts everything, each command answered after `latency` seconds."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.received = 0

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        await asyncio.sleep(self.latency)
        session.host_name = hostname
        return responses

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        await asyncio.sleep(self.latency)
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        await asyncio.sleep(self.latency)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await asyncio.sleep(self.latency)
        self.received += 1
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _letters(count: int) -> list[Any]:
    return [
        reminder_letter(
            channel=Channel.EMAIL,
            to=f"patient{n}@bench.example",
            occurrence_id=uuid.uuid4(),
            kind="task",
            title="Take off the stocking from the clinic",
            show_title=False,
            clinic="Bench Vein Clinic",
            public_url="https://aftercare.bench.example",
        )
        for n in range(count)
    ]


async def _burst(server: SmtpServer, letters: list[Any], *, reuse: bool) -> tuple[float, int]:
    """Seconds to send every letter, and the connections opened."""
    sender = MailSender(server, sender="Bench <reminders@bench.example>", timeout=30)
    connections = 0
    started = time.perf_counter()
    for letter in letters:
        result = await sender.send(letter)
        assert result.delivered, result
        if not reuse:
            connections += sender.connections
            sender.connections = 0
            await sender.release()
    await sender.release()
    elapsed = time.perf_counter() - started
    return elapsed, connections + sender.connections


def run(messages: int, latency_ms: float) -> dict[str, Any]:
    handler = _SlowServer(latency_ms / 1000)
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        server = SmtpServer.from_url(f"smtp://127.0.0.1:{port}")
        letters = _letters(messages)
        reused, reused_connections = asyncio.run(_burst(server, letters, reuse=True))
        each, each_connections = asyncio.run(_burst(server, letters, reuse=False))
    finally:
        controller.stop()
    assert handler.received == 2 * messages
    return {
        "messages": messages,
        "latency_ms": latency_ms,
        "reused": {"per_second": round(messages / reused, 1), "connections": reused_connections},
        "per_message": {"per_second": round(messages / each, 1), "connections": each_connections},
        "speedup": round(each / reused, 2),
        "machine": machine(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--latency-ms", type=float, default=5.0)
    args = parser.parse_args(argv)
    result = run(args.messages, args.latency_ms)
    write_results("mail_throughput", result)
    print(describe(result["machine"]))
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
