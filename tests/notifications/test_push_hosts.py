"""The push endpoint policy: https, public addresses only in production, named exceptions."""

from __future__ import annotations

import asyncio
import socket

import pytest
from pydantic import ValidationError

from app.config import Settings
from app.notifications.push_hosts import (
    AddressRefused,
    EndpointRefused,
    PushHosts,
    is_public,
)
from tests.support.hashing import PRODUCTION_PASSWORD_HASHING
from tests.support.resolver import ScriptedResolver


def settings_for(env: str, **overrides: object) -> Settings:
    return Settings(  # type: ignore[call-arg]
        env=env,
        public_url="https://care.example.org",
        vapid_subject="mailto:ops@care.example.org",
        **PRODUCTION_PASSWORD_HASHING,
        **overrides,
        _env_file=None,
    )


PRODUCTION = PushHosts.from_settings(settings_for("production"))


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.20",
        "169.254.169.254",  # the cloud metadata service
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104  (an address judged, not bound to)
        "224.0.0.1",
        "::1",
        "fe80::1%eth0",
        "fc00::1",
        "::ffff:127.0.0.1",  # IPv4 inside IPv6 is judged as the IPv4 address
        "::ffff:169.254.169.254",
        "64:ff9b::a00:5",  # NAT64 of 10.0.0.5
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    ],
)
def test_private_loopback_and_link_local_addresses_are_not_public(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize(
    "address", ["142.250.74.106", "2a00:1450:4001:82b::200a", "::ffff:142.250.74.106"]
)
def test_internet_addresses_are_public(address: str) -> None:
    assert is_public(address)


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://fcm.googleapis.com/fcm/send/abc",
        "ftp://fcm.googleapis.com/fcm/send/abc",
        "https:///no-host",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.5/push/abc",
        "https://127.0.0.1:8443/push/abc",
        "https://[::1]:8443/push/abc",
        "https://[::ffff:10.0.0.5]/push/abc",
        "https://localhost/push/abc",
        "https://push.localhost/push/abc",
        "https://user:secret@fcm.googleapis.com/fcm/send/abc",
        "http://127.0.0.1:9999/push/abc",
    ],
)
def test_production_refuses_by_the_url_alone(endpoint: str) -> None:
    with pytest.raises(EndpointRefused):
        PRODUCTION.check(endpoint)


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/abc",
        "https://web.push.apple.com/QGx",
        "https://142.250.74.106/fcm/send/abc",
    ],
)
def test_production_takes_push_services_on_the_internet(endpoint: str) -> None:
    PRODUCTION.check(endpoint)


def test_development_takes_loopback_and_private_addresses() -> None:
    development = PushHosts.from_settings(settings_for("development"))
    development.check("http://127.0.0.1:9999/push/a")
    development.check("http://localhost:9999/push/a")
    development.check("https://10.0.0.5/push/a")
    with pytest.raises(EndpointRefused):
        development.check("http://10.0.0.5/push/a")  # plain http only to this machine


def test_named_private_hosts_are_allowed_in_production() -> None:
    hosts = PushHosts.from_settings(
        settings_for("production", push_private_hosts=" Push.Clinic.Internal., 10.0.0.9")
    )
    assert hosts.private_hosts == {"push.clinic.internal", "10.0.0.9"}
    hosts.check("https://push.clinic.internal/push/a")
    hosts.check("https://10.0.0.9/push/a")
    assert hosts.address_allowed("push.clinic.internal", "10.0.0.7")
    assert not hosts.address_allowed("push.example.org", "10.0.0.7")
    with pytest.raises(EndpointRefused):
        hosts.check("https://10.0.0.10/push/a")


def test_production_refuses_allowing_private_addresses_outright() -> None:
    with pytest.raises(ValidationError, match="AFTERCARE_PUSH_PRIVATE_HOSTS"):
        settings_for("production", push_allow_private_addresses=True)
    assert settings_for("development").push_private_addresses_allowed
    turned_off = settings_for("development", push_allow_private_addresses=False)
    assert not turned_off.push_private_addresses_allowed
    assert not settings_for("production").push_private_addresses_allowed


class TestResolver:
    """The pool's resolver keeps only allowed addresses: those are the ones connected to."""

    def resolve(self, hosts: PushHosts, answers: dict[str, list[str]], host: str) -> list[str]:
        async def run() -> list[str]:
            resolver = hosts.resolver(ScriptedResolver(answers))
            try:
                found = await resolver.resolve(host, 443, socket.AF_UNSPEC)
            finally:
                await resolver.close()
            return [entry["host"] for entry in found]

        return asyncio.run(run())

    def test_a_name_resolving_to_private_addresses_only_is_refused(self) -> None:
        with pytest.raises(AddressRefused, match="private"):
            self.resolve(PRODUCTION, {"push.example.org": ["127.0.0.1", "::1"]}, "push.example.org")

    def test_private_addresses_among_public_ones_are_dropped(self) -> None:
        answers = {"push.example.org": ["10.0.0.5", "142.250.74.106"]}
        assert self.resolve(PRODUCTION, answers, "push.example.org") == ["142.250.74.106"]

    # ... at send time by the address, whatever else the URL check might miss: the old
    # numeric IPv4 forms (not literals to ipaddress) resolve to loopback.
    @pytest.mark.parametrize("name", ["localhost", "127.1", "2130706433", "0x7f.0.0.1"])
    def test_the_real_system_resolver_is_judged_too(self, name: str) -> None:
        with pytest.raises(EndpointRefused):
            PRODUCTION.check(f"https://{name}/x")  # at subscribe time by the URL, and ...

        async def run() -> None:
            resolver = PRODUCTION.resolver()
            try:
                await resolver.resolve(name, 443, socket.AF_UNSPEC)
            finally:
                await resolver.close()

        with pytest.raises(AddressRefused):
            asyncio.run(run())
