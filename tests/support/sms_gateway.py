"""A loopback SMS gateway speaking Twilio's Messages API and a JSON webhook, for the SMS tests.

It checks the credentials the way a provider does (Basic auth for Twilio, a Bearer token for
the webhook), keeps every text it accepted, and answers from a script: `answers` holds
(status, headers, body) for the next requests, then 201 for the rest; `hang` stops answering.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import parse_qs

SID = "AC0123456789abcdef"
TOKEN = "secret-auth-token"
FROM = "+15005550006"
BEARER = "webhook-token"


@dataclass(frozen=True)
class Text:
    to: str
    body: str
    api: str  # "twilio" or "webhook"


class LoopbackSmsGateway:
    def __init__(self) -> None:
        self.texts: list[Text] = []
        self.requests = 0
        self.answers: list[tuple[int, dict[str, str], str]] = []
        self.hang = False
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                gateway._post(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def twilio_url(self) -> str:
        return f"twilio://{SID}:{TOKEN}@{FROM}?api={self.origin}"

    @property
    def webhook_url(self) -> str:
        return f"webhook+{self.origin.replace('http://', f'http://{BEARER}@')}/sms"

    def received(self) -> list[Text]:
        with self.lock:
            return list(self.texts)

    def reset(self) -> None:
        with self.lock:
            self.texts.clear()
            self.answers.clear()
            self.requests = 0
        self.hang = False

    def _post(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length", "0"))
        raw = request.rfile.read(length).decode()
        with self.lock:
            self.requests += 1
        while self.hang:
            time.sleep(0.05)
        authorization = request.headers.get("Authorization", "")
        if request.path == f"/2010-04-01/Accounts/{SID}/Messages.json":
            expected = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
            form = {key: values[0] for key, values in parse_qs(raw).items()}
            text = Text(form.get("To", ""), form.get("Body", ""), "twilio")
            ok = authorization == expected and form.get("From") == FROM
        elif request.path == "/sms":
            document = json.loads(raw)
            text = Text(document.get("to", ""), document.get("text", ""), "webhook")
            ok = authorization == f"Bearer {BEARER}"
        else:
            self._answer(request, 404, {}, "{}")
            return
        if not ok:
            self._answer(request, 401, {}, '{"code": 20003, "message": "Authenticate"}')
            return
        with self.lock:
            scripted = self.answers.pop(0) if self.answers else None
        if scripted is not None and not 200 <= scripted[0] < 300:
            self._answer(request, *scripted)
            return
        with self.lock:
            self.texts.append(text)
        self._answer(request, 201, {}, '{"sid": "SM1", "status": "queued"}')

    @staticmethod
    def _answer(
        request: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: str
    ) -> None:
        encoded = body.encode()
        request.send_response(status)
        for name, value in headers.items():
            request.send_header(name, value)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(encoded)))
        request.end_headers()
        request.wfile.write(encoded)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.hang = False
        self._server.shutdown()
        self._server.server_close()
