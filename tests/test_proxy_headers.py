"""ProxyHeaders takes the client and scheme from trusted proxies only; AFTERCARE_TRUSTED_PROXIES."""

from __future__ import annotations

import asyncio
import logging
from ipaddress import ip_network
from typing import Any

import pytest
from pydantic import ValidationError

from app.config import Settings
from app.proxy_headers import ProxyHeaders
from app.shared.client_address import Network

TRUSTED = (ip_network("10.0.0.0/24"),)


def seen(
    peer: tuple[str, int] | None, headers: list[tuple[str, str]], trusted: tuple[Network, ...]
) -> dict[str, Any]:
    """The scope the app behind ProxyHeaders gets for a request from `peer`."""
    got: dict[str, Any] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        got.update(client=scope["client"], scheme=scope["scheme"])

    scope = {
        "type": "http",
        "scheme": "http",
        "client": peer,
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
    }
    asyncio.run(ProxyHeaders(app, trusted=trusted)(scope, None, None))  # type: ignore[arg-type]
    return got


def test_a_trusted_proxy_names_the_client_and_the_scheme() -> None:
    got = seen(("10.0.0.5", 4000), [("X-Forwarded-For", "203.0.113.7"),
                                    ("X-Forwarded-Proto", "https")], TRUSTED)  # fmt: skip
    assert got == {"client": ("203.0.113.7", 0), "scheme": "https"}


def test_an_untrusted_peer_changes_nothing() -> None:
    headers = [("X-Forwarded-For", "203.0.113.7"), ("X-Forwarded-Proto", "https")]
    assert seen(("198.51.100.9", 4000), headers, TRUSTED) == {
        "client": ("198.51.100.9", 4000), "scheme": "http",
    }  # fmt: skip
    assert seen(("10.0.0.5", 4000), headers, ()) == {"client": ("10.0.0.5", 4000), "scheme": "http"}


@pytest.mark.parametrize("proto", ["ftp", "", "javascript", "https, ws"])
def test_only_http_or_https_from_the_nearest_proxy(proto: str) -> None:
    got = seen(("10.0.0.5", 4000), [("X-Forwarded-Proto", proto)], TRUSTED)
    assert got["scheme"] == "http"


def test_the_nearest_proxys_scheme_wins() -> None:
    got = seen(("10.0.0.5", 4000), [("X-Forwarded-Proto", "http, https")], TRUSTED)
    assert got["scheme"] == "https"


def test_no_peer_no_change() -> None:
    assert seen(None, [("X-Forwarded-For", "203.0.113.7")], TRUSTED)["client"] is None


def test_forwarding_from_an_untrusted_peer_is_said_once(caplog: pytest.LogCaptureFixture) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        pass

    guard = ProxyHeaders(app, trusted=())
    scope = {"type": "http", "scheme": "http", "headers": [(b"x-forwarded-for", b"1.2.3.4")]}
    with caplog.at_level(logging.WARNING, logger="app.proxy_headers"):
        for port in range(3):
            asyncio.run(guard({**scope, "client": ("172.18.0.2", port)}, None, None))  # type: ignore[arg-type]
        asyncio.run(guard({**scope, "headers": [], "client": ("172.18.0.3", 1)}, None, None))  # type: ignore[arg-type]
    assert len(caplog.records) == 1
    assert "172.18.0.2" in caplog.records[0].getMessage()
    assert "AFTERCARE_TRUSTED_PROXIES" in caplog.records[0].getMessage()


class TestTheSetting:
    def test_none_trusted_by_default(self) -> None:
        assert Settings(_env_file=None).trusted_proxies == ()  # type: ignore[call-arg]

    def test_comma_separated_addresses_and_ranges(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("AFTERCARE_TRUSTED_PROXIES", " 10.0.0.5, 172.18.0.0/16,fd00::/8 ,")
        assert Settings(_env_file=None).trusted_proxies == (  # type: ignore[call-arg]
            ip_network("10.0.0.5/32"), ip_network("172.18.0.0/16"), ip_network("fd00::/8"),
        )  # fmt: skip

    def test_empty_is_none(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("AFTERCARE_TRUSTED_PROXIES", "")  # compose passes an unset one so
        assert Settings(_env_file=None).trusted_proxies == ()  # type: ignore[call-arg]

    def test_a_range_written_from_one_of_its_addresses(self) -> None:
        settings = Settings(trusted_proxies="10.1.2.3/16", _env_file=None)  # type: ignore[call-arg]
        assert settings.trusted_proxies == (ip_network("10.1.0.0/16"),)

    @pytest.mark.parametrize("value", ["proxy.internal", "10.0.0.0/33", "*"])
    def test_anything_else_is_refused(self, value: str, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("AFTERCARE_TRUSTED_PROXIES", value)
        with pytest.raises(ValidationError, match="trusted_proxies"):
            Settings(_env_file=None)  # type: ignore[call-arg]

    def test_kept_when_serve_moves_the_port(self) -> None:
        settings = Settings(trusted_proxies="10.0.0.5", _env_file=None)  # type: ignore[call-arg]
        assert settings.on_port(8011).trusted_proxies == (ip_network("10.0.0.5/32"),)
