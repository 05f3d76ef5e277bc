"""Checks the address `serve` is about to listen on, to refuse a taken port in plain words."""

from __future__ import annotations

import errno
import socket


class CannotListen(RuntimeError):
    pass


def check_can_listen(host: str, port: int) -> None:
    """CannotListen, saying what to do, when `host:port` cannot be listened on right now."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise CannotListen(f"cannot listen on {host!r}: {exc.strerror}") from exc
    with socket.socket(family, kind, proto) as probe:
        # As the server will: a port left in TIME_WAIT by a server just stopped is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                other = 8011 if port != 8011 else 8012
                raise CannotListen(
                    f"port {port} is already in use (another server?): choose another, "
                    f"e.g. --port {other} (with make: make run PORT={other})"
                ) from exc
            raise CannotListen(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
