"""The TCP proxy forwards both ways, drops and refuses connections when cut, and comes back."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest

from tests.support.tcp_proxy import TcpProxy


class Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(4096):
            self.request.sendall(data)


@pytest.fixture
def echo_port() -> Iterator[int]:
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo) as server:
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield server.server_address[1]
        server.shutdown()


def round_trip(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(payload)
        return conn.recv(4096)


def test_forwards_both_ways(echo_port: int) -> None:
    with TcpProxy("127.0.0.1", echo_port) as proxy:
        assert round_trip(proxy.port, b"hello") == b"hello"
        assert proxy.accepted == 1


def test_cut_drops_open_connections_and_refuses_new_ones_until_restored(echo_port: int) -> None:
    with TcpProxy("127.0.0.1", echo_port) as proxy:
        conn = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
        conn.sendall(b"ping")
        assert conn.recv(4096) == b"ping"

        assert proxy.cut() == 1
        with pytest.raises(OSError):  # reset by peer, or read as a closed stream
            conn.sendall(b"again")
            if conn.recv(4096) == b"":
                raise ConnectionResetError("closed")
        conn.close()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", proxy.port), timeout=5)

        port = proxy.port
        proxy.restore()
        assert proxy.port == port
        assert round_trip(proxy.port, b"back") == b"back"
        assert proxy.cut_connections == 1
