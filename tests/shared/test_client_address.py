"""The client's address from the peer and X-Forwarded-For: only trusted proxies' hops count."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_network

import pytest

from app.shared.client_address import forwarded_client, parse_address

ONE_PROXY = (ip_network("10.0.0.5/32"),)
TWO_PROXIES = (ip_network("10.0.0.0/24"), ip_network("2001:db8:feed::/48"))


class TestParseAddress:
    @pytest.mark.parametrize(
        ("hop", "address"),
        [
            ("203.0.113.7", IPv4Address("203.0.113.7")),
            (" 203.0.113.7 ", IPv4Address("203.0.113.7")),
            ("203.0.113.7:51000", IPv4Address("203.0.113.7")),  # some balancers add the port
            ("2001:db8::1", IPv6Address("2001:db8::1")),
            ("[2001:db8::1]", IPv6Address("2001:db8::1")),
            ("[2001:db8::1]:443", IPv6Address("2001:db8::1")),
            ("::ffff:203.0.113.7", IPv4Address("203.0.113.7")),  # IPv4 on an IPv6 socket
        ],
    )
    def test_addresses(self, hop: str, address: object) -> None:
        assert parse_address(hop) == address

    @pytest.mark.parametrize(
        "hop",
        ["", "unknown", "_hidden", "example.org", "1.2.3", "999.1.1.1", "[::1", "1.2.3.4:x:y",
         "<script>", "1.2.3.4 5.6.7.8", "\x00"],
    )  # fmt: skip
    def test_garbage_is_no_address(self, hop: str) -> None:
        assert parse_address(hop) is None


class TestForwardedClient:
    def test_no_trusted_proxies_the_peer_is_the_client(self) -> None:
        assert forwarded_client("198.51.100.9", ["203.0.113.7"], ()) == "198.51.100.9"

    def test_a_spoofed_header_from_an_untrusted_peer_is_ignored(self) -> None:
        # A client straight on the internet sends its own X-Forwarded-For: not believed.
        assert forwarded_client("198.51.100.9", ["10.0.0.5"], ONE_PROXY) == "198.51.100.9"
        assert forwarded_client("198.51.100.9", ["1.1.1.1, 10.0.0.5"], ONE_PROXY) == (
            "198.51.100.9"
        )

    def test_the_hop_the_trusted_proxy_appended(self) -> None:
        assert forwarded_client("10.0.0.5", ["203.0.113.7"], ONE_PROXY) == "203.0.113.7"

    def test_what_the_client_wrote_left_of_it_is_never_believed(self) -> None:
        # The client sent "X-Forwarded-For: 192.0.2.1"; the proxy appended its real address.
        assert forwarded_client("10.0.0.5", ["192.0.2.1, 203.0.113.7"], ONE_PROXY) == (
            "203.0.113.7"
        )

    def test_a_chain_of_two_trusted_proxies(self) -> None:
        # client -> balancer 10.0.0.1 -> nginx 10.0.0.2 -> app
        chain = ["192.0.2.1, 203.0.113.7, 10.0.0.1"]
        assert forwarded_client("10.0.0.2", chain, TWO_PROXIES) == "203.0.113.7"

    def test_a_client_naming_a_trusted_proxy_gains_nothing(self) -> None:
        # The client wrote a trusted address; the real hop after it is untrusted and stops.
        chain = ["10.0.0.1, 203.0.113.7"]
        assert forwarded_client("10.0.0.2", chain, TWO_PROXIES) == "203.0.113.7"

    def test_several_headers_are_one_list_in_order(self) -> None:
        assert forwarded_client("10.0.0.2", ["203.0.113.7", "10.0.0.1"], TWO_PROXIES) == (
            "203.0.113.7"
        )

    def test_ipv6_clients_and_proxies(self) -> None:
        chain = ["2001:db8::7, [2001:db8:feed::1]:8443"]
        assert forwarded_client("2001:db8:feed::2", chain, TWO_PROXIES) == "2001:db8::7"
        assert forwarded_client("2001:db8:dead::2", chain, TWO_PROXIES) == "2001:db8:dead::2"

    @pytest.mark.parametrize("garbage", ["unknown", "", "not an address", "1.2.3.4.5"])
    def test_garbage_stops_at_the_proxy_that_wrote_it(self, garbage: str) -> None:
        # Nobody vouches for anything beyond the last trusted hop: that is the client.
        assert forwarded_client("10.0.0.2", [f"203.0.113.7, {garbage}"], TWO_PROXIES) == (
            "10.0.0.2"
        )
        chain = [f"{garbage}, 10.0.0.1"]
        assert forwarded_client("10.0.0.2", chain, TWO_PROXIES) == "10.0.0.1"

    def test_only_trusted_proxies_all_the_way(self) -> None:
        assert forwarded_client("10.0.0.2", ["10.0.0.1"], TWO_PROXIES) == "10.0.0.1"
        assert forwarded_client("10.0.0.2", [], TWO_PROXIES) == "10.0.0.2"

    def test_an_unparsable_peer_is_never_trusted(self) -> None:
        assert forwarded_client("testclient", ["203.0.113.7"], TWO_PROXIES) == "testclient"
