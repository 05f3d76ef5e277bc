"""The loopback push service checks what real ones check, driven by pywebpush itself."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from py_vapid import Vapid, Vapid01
from pywebpush import WebPusher, WebPushException, webpush

from tests.support.push_service import (
    MAX_BODY_BYTES,
    FakePushService,
    FakeSubscription,
    VapidKeys,
    b64url_decode,
    new_vapid_keys,
)

CONTACT = "mailto:ops@clinic.example"
# aes128gcm overhead: 86-byte header (salt, rs, keyid length, 65-byte key), delimiter, 16-byte tag.
MAX_PLAINTEXT = MAX_BODY_BYTES - 86 - 1 - 16


@pytest.fixture
def push() -> Iterator[FakePushService]:
    with FakePushService() as service:
        yield service


@pytest.fixture(scope="module")
def vapid() -> VapidKeys:
    return new_vapid_keys()


def send(
    subscription: FakeSubscription | dict[str, Any],
    vapid: VapidKeys,
    data: str | bytes = '{"title": "Walk for 10 minutes"}',
    **options: Any,
) -> requests.Response:
    """pywebpush's one-call API, as Aftercare's sender would use it; raises on status > 202."""
    info = subscription.to_json() if isinstance(subscription, FakeSubscription) else subscription
    options.setdefault("vapid_private_key", vapid.private_key)
    options.setdefault("vapid_claims", {"sub": CONTACT})
    options.setdefault("ttl", 60)
    options.setdefault("timeout", 5)
    response = webpush(subscription_info=info, data=data, **options)
    assert isinstance(response, requests.Response)
    return response


def refused(call: Callable[[], object]) -> requests.Response:
    """The response pywebpush raised about."""
    with pytest.raises(WebPushException) as caught:
        call()
    response = caught.value.response
    assert isinstance(response, requests.Response)
    return response


def vapid_authorization(vapid: VapidKeys, **claims: Any) -> str:
    """An RFC 8292 header signed with any claims, even ones pywebpush would correct."""
    header = Vapid.from_string(vapid.private_key).sign({"sub": CONTACT, **claims})
    return str(header["Authorization"])


def origin_of(subscription: FakeSubscription) -> str:
    url = urlparse(subscription.endpoint)
    return f"{url.scheme}://{url.netloc}"


def encrypted_request(
    subscription: FakeSubscription, vapid: VapidKeys, data: bytes = b"{}"
) -> tuple[dict[str, str], bytes]:
    """Headers and body exactly as pywebpush builds them, for senders other than webpush()."""
    body = WebPusher(subscription.to_json()).encode(data)["body"]
    exp = int(time.time()) + 3600
    headers = {
        "ttl": "60",
        "content-encoding": "aes128gcm",
        "authorization": vapid_authorization(vapid, aud=origin_of(subscription), exp=exp),
    }
    return headers, body


def eventually(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def raw_exchange(push: FakePushService, data: bytes, chunk: int = 0) -> bytes:
    """Write raw bytes (in `chunk`-sized pieces if given) and read until the server closes."""
    with socket.create_connection((push.host, push.port), timeout=5) as sock:
        pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)] if chunk else [data]
        for piece in pieces:
            sock.sendall(piece)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while block := sock.recv(65536):
            received += block
    return received


class TestDelivery:
    def test_a_valid_push_is_decrypted_exactly_with_its_headers_recorded(
        self, push: FakePushService, vapid: VapidKeys
    ) -> None:
        subscription = push.subscribe()
        message = {"title": "Strümpfe tragen", "body": "Noch 2 h — dann Pause 🦵"}
        data = json.dumps(message, ensure_ascii=False)

        response = send(
            subscription, vapid, data, ttl=3600, headers={"Urgency": "high", "Topic": "t1"}
        )

        [delivery] = push.deliveries()
        assert response.status_code == 201
        assert response.headers["Location"] == f"{push.origin}/message/{delivery.message_id}"
        assert delivery.payload == data.encode()
        assert delivery.json() == message
        assert (delivery.subscription_id, delivery.ttl) == (subscription.id, 3600)
        assert (delivery.urgency, delivery.topic) == ("high", "t1")
        assert (delivery.vapid_sub, delivery.vapid_public_key) == (CONTACT, vapid.public_key)
        assert delivery.received_wall.tzinfo is UTC
        assert delivery.received_at <= time.monotonic()
        assert (push.rejections, push.request_count) == ([], 1)

    def test_urgency_and_topic_are_optional(self, push: FakePushService, vapid: VapidKeys) -> None:
        send(push.subscribe(), vapid, ttl=0)

        [delivery] = push.deliveries()
        assert (delivery.ttl, delivery.urgency, delivery.topic) == (0, None, None)

    def test_a_subscription_looks_like_the_browsers_to_json(self, push: FakePushService) -> None:
        subscription = push.subscribe()

        browser = subscription.to_json()

        assert browser == {
            "endpoint": f"{push.origin}/push/{subscription.id}",
            "expirationTime": None,
            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
        }
        assert push.origin == f"http://127.0.0.1:{push.port}"
        assert "=" not in subscription.p256dh + subscription.auth
        assert b64url_decode(subscription.p256dh)[0] == 4
        assert len(b64url_decode(subscription.p256dh)) == 65
        assert len(subscription.auth_secret) == 16
        assert push.subscribe().id != subscription.id

    def test_payloads_of_any_size_up_to_the_limit_round_trip(
        self, push: FakePushService, vapid: VapidKeys
    ) -> None:
        subscription = push.subscribe()

        @settings(max_examples=30, deadline=None)
        @given(st.binary(min_size=1, max_size=MAX_PLAINTEXT))
        def round_trip(payload: bytes) -> None:
            send(subscription, vapid, payload)
            assert push.deliveries()[-1].payload == payload

        round_trip()
        send(subscription, vapid, b"x" * MAX_PLAINTEXT)
        assert push.deliveries()[-1].payload == b"x" * MAX_PLAINTEXT

    def test_wait_for_returns_once_enough_deliveries_are_in(
        self, push: FakePushService, vapid: VapidKeys
    ) -> None:
        first, second = push.subscribe(), push.subscribe()
        threading.Timer(0.1, lambda: send(second, vapid)).start()
        send(first, vapid)

        started = time.monotonic()
        assert len(push.wait_for(2, timeout=5)) == 2
        assert time.monotonic() - started < 2  # woken by the delivery, not by the timeout
        assert [d.subscription_id for d in push.deliveries(second.id)] == [second.id]
        assert [d.subscription_id for d in push.wait_for(1, subscription_id=first.id)] == [first.id]

    def test_wait_for_names_expected_and_got_when_it_times_out(
        self, push: FakePushService, vapid: VapidKeys
    ) -> None:
        send(push.subscribe(), vapid)
        nobody = {**push.subscribe().to_json(), "endpoint": f"{push.origin}/push/nobody"}
        refused(lambda: send(nobody, vapid))

        with pytest.raises(AssertionError) as caught:
            push.wait_for(2, timeout=0.2)

        assert "expected 2 deliveries within 0.2 s, got 1" in str(caught.value)
        assert "2 requests, 1 rejected; last: 404 no subscription nobody" in str(caught.value)

    def test_clear_forgets_what_arrived_but_not_the_subscriptions(
        self, push: FakePushService, vapid: VapidKeys
    ) -> None:
        subscription = push.subscribe()
        send(subscription, vapid)
        nobody = {**subscription.to_json(), "endpoint": f"{push.origin}/push/nobody"}
        refused(lambda: send(nobody, vapid))

        push.clear()

        assert (push.deliveries(), push.rejections, push.request_count) == ([], [], 0)
        assert send(subscription, vapid).status_code == 201
        assert len(push.deliveries()) == 1


def _wrong_audience(push: FakePushService, sub: FakeSubscription, vapid: VapidKeys) -> Any:
    return {"vapid_claims": {"sub": CONTACT, "aud": "https://fcm.googleapis.com"}}


def _expired(push: FakePushService, sub: FakeSubscription, vapid: VapidKeys) -> Any:
    # pywebpush replaces a past exp itself, so the header is signed by hand.
    authorization = vapid_authorization(vapid, aud=push.origin, exp=int(time.time()) - 60)
    return {"vapid_claims": None, "headers": {"Authorization": authorization}}


def _too_far_ahead(push: FakePushService, sub: FakeSubscription, vapid: VapidKeys) -> Any:
    return {"vapid_claims": {"sub": CONTACT, "exp": int(time.time()) + 25 * 3600}}


def _signed_by_another_key(push: FakePushService, sub: FakeSubscription, vapid: VapidKeys) -> Any:
    authorization = vapid_authorization(vapid, aud=push.origin, exp=int(time.time()) + 3600)
    token = authorization.split("t=")[1].split(",")[0]
    forged = f"vapid t={token},k={new_vapid_keys().public_key}"
    return {"vapid_claims": None, "headers": {"Authorization": forged}}


def _not_a_contact(push: FakePushService, sub: FakeSubscription, vapid: VapidKeys) -> Any:
    claims = {"aud": push.origin, "exp": int(time.time()) + 3600, "sub": "ops@clinic.example"}
    key = Vapid.from_string(vapid.private_key)
    key.conf = {"no-strict": True}  # py_vapid checks sub itself unless told not to
    authorization = key.sign(claims)["Authorization"]
    return {"vapid_claims": None, "headers": {"Authorization": authorization}}


def _no_vapid(push: FakePushService, sub: FakeSubscription, vapid: VapidKeys) -> Any:
    return {"vapid_claims": None}


def _draft_webpush_scheme(push: FakePushService, sub: FakeSubscription, vapid: VapidKeys) -> Any:
    # A Vapid01 key makes pywebpush send `WebPush <JWT>` + `Crypto-Key: p256ecdsa=...`.
    return {"vapid_private_key": Vapid01.from_string(vapid.private_key)}


def _legacy_encoding(push: FakePushService, sub: FakeSubscription, vapid: VapidKeys) -> Any:
    return {"content_encoding": "aesgcm"}


def _keys_of_another_subscription(
    push: FakePushService, sub: FakeSubscription, vapid: VapidKeys
) -> Any:
    other = push.subscribe().to_json()
    return {"subscription_info": {**sub.to_json(), "keys": other["keys"]}}


def _unknown_subscription(push: FakePushService, sub: FakeSubscription, vapid: VapidKeys) -> Any:
    return {"subscription_info": {**sub.to_json(), "endpoint": f"{push.origin}/push/nobody"}}


def _forgotten(push: FakePushService, sub: FakeSubscription, vapid: VapidKeys) -> Any:
    push.forget(sub.id)
    return {}


def _too_big(push: FakePushService, sub: FakeSubscription, vapid: VapidKeys) -> Any:
    return {"data": "x" * (MAX_PLAINTEXT + 1)}


def _bad_urgency(push: FakePushService, sub: FakeSubscription, vapid: VapidKeys) -> Any:
    return {"headers": {"Urgency": "urgent"}}


def _bad_topic(push: FakePushService, sub: FakeSubscription, vapid: VapidKeys) -> Any:
    return {"headers": {"Topic": "reminder:10:00"}}


def _long_topic(push: FakePushService, sub: FakeSubscription, vapid: VapidKeys) -> Any:
    return {"headers": {"Topic": "t" * 33}}


def _negative_ttl(push: FakePushService, sub: FakeSubscription, vapid: VapidKeys) -> Any:
    return {"ttl": -5}


def _other_application_server(
    push: FakePushService, sub: FakeSubscription, vapid: VapidKeys
) -> Any:
    restricted = push.subscribe(application_server_key=new_vapid_keys().public_key)
    return {"subscription_info": restricted.to_json()}


class TestRefusals:
    @pytest.mark.parametrize(
        ("change", "status", "reason"),
        [
            (_wrong_audience, 403, "aud 'https://fcm.googleapis.com' is not"),
            (_expired, 403, "JWT expired"),
            (_too_far_ahead, 403, "at most 24 h"),
            (_signed_by_another_key, 403, "signature does not verify"),
            (_not_a_contact, 403, "neither a mailto: nor an https://"),
            (_no_vapid, 401, "Authorization header missing"),
            (_draft_webpush_scheme, 401, "scheme 'WebPush' is not 'vapid'"),
            (_legacy_encoding, 400, "Content-Encoding 'aesgcm' is not aes128gcm"),
            (_keys_of_another_subscription, 400, "does not decrypt"),
            (_unknown_subscription, 404, "no subscription nobody"),
            (_forgotten, 410, "is gone"),
            (_too_big, 413, "body is 4097 bytes"),
            (_bad_urgency, 400, "Urgency 'urgent'"),
            (_bad_topic, 400, "Topic 'reminder:10:00'"),
            (_long_topic, 400, "1-32 characters"),
            (_negative_ttl, 400, "TTL '-5' is not"),
            (_other_application_server, 403, "not the applicationServerKey"),
        ],
        ids=lambda value: value.__name__.strip("_") if callable(value) else None,
    )
    def test_a_bad_push_is_refused_with_the_real_status_and_a_reason(
        self,
        push: FakePushService,
        vapid: VapidKeys,
        change: Callable[..., dict[str, Any]],
        status: int,
        reason: str,
    ) -> None:
        subscription = push.subscribe()
        options = {"subscription_info": subscription.to_json()} | change(push, subscription, vapid)
        info = options.pop("subscription_info")

        response = refused(lambda: send(info, vapid, **options))

        [rejection] = push.rejections
        assert (response.status_code, rejection.status) == (status, status)
        assert reason in rejection.reason
        assert reason in response.json()["message"]
        assert push.deliveries() == []
        assert push.request_count == 1

    def test_a_push_without_ttl_is_refused(self, push: FakePushService, vapid: VapidKeys) -> None:
        headers, body = encrypted_request(push.subscribe(), vapid)
        del headers["ttl"]  # pywebpush always sets one; a hand-rolled sender might not

        response = requests.post(push.subscribe().endpoint, data=body, headers=headers, timeout=5)

        assert response.status_code == 400
        assert [r.reason for r in push.rejections] == [
            "TTL header missing (RFC 8030 §5.2 requires it)"
        ]
        assert push.deliveries() == []

    def test_the_same_request_without_the_change_is_delivered(
        self, push: FakePushService, vapid: VapidKeys
    ) -> None:
        subscription = push.subscribe()
        headers, body = encrypted_request(subscription, vapid)

        response = requests.post(subscription.endpoint, data=body, headers=headers, timeout=5)

        assert response.status_code == 201
        assert len(push.deliveries(subscription.id)) == 1

    @pytest.mark.parametrize(
        ("request_bytes", "status"),
        [
            (b"GET /push/x HTTP/1.1\r\nHost: x\r\n\r\n", 405),
            (b"POST /other HTTP/1.1\r\nHost: x\r\ncontent-length: 0\r\n\r\n", 404),
            (
                b"POST /push/x HTTP/1.1\r\nHost: x\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
                411,
            ),
            (b"POST /push/x HTTP/1.1\r\nbad header\r\n\r\n", 400),
            (b"HELLO\r\n\r\n", 400),
        ],
        ids=["get", "wrong-path", "chunked", "bad-header", "not-http"],
    )
    def test_requests_that_are_not_pushes_are_refused(
        self, push: FakePushService, request_bytes: bytes, status: int
    ) -> None:
        answer = raw_exchange(push, request_bytes)

        assert answer.startswith(f"HTTP/1.1 {status} ".encode())
        assert [r.status for r in push.rejections] == [status]
        assert push.request_count == 1


class TestScriptedAnswers:
    def test_429_with_retry_after_once_then_delivery(
        self, push: FakePushService, vapid: VapidKeys
    ) -> None:
        subscription = push.subscribe()
        push.respond_with(429, retry_after=7, times=1)

        with pytest.raises(WebPushException) as caught:
            send(subscription, vapid, '{"n": 1}')
        assert (caught.value.status_code, caught.value.retry_after) == (429, "7")
        assert push.deliveries() == []

        assert send(subscription, vapid, '{"n": 2}').status_code == 201
        assert [d.json() for d in push.deliveries()] == [{"n": 2}]
        assert (push.request_count, push.rejections) == (2, [])

    @pytest.mark.parametrize("status", [500, 503, 404, 410, 413])
    def test_a_status_is_given_until_reset(
        self, push: FakePushService, vapid: VapidKeys, status: int
    ) -> None:
        subscription = push.subscribe()
        push.respond_with(status)

        for _ in range(2):
            assert refused(lambda: send(subscription, vapid)).status_code == status
        push.reset()

        assert send(subscription, vapid).status_code == 201
        assert len(push.deliveries()) == 1

    def test_rules_apply_in_the_order_given(self, push: FakePushService, vapid: VapidKeys) -> None:
        subscription = push.subscribe()
        push.respond_with(429, times=1)
        push.respond_with(500, times=2)

        statuses = []
        for _ in range(4):
            try:
                statuses.append(send(subscription, vapid).status_code)
            except WebPushException as error:
                statuses.append(error.status_code)

        assert statuses == [429, 500, 500, 201]

    def test_a_rule_for_one_subscription_leaves_others_alone(
        self, push: FakePushService, vapid: VapidKeys
    ) -> None:
        gone, fine = push.subscribe(), push.subscribe()
        push.respond_with(410, endpoint_id=gone.id)

        assert refused(lambda: send(gone, vapid)).status_code == 410
        assert send(fine, vapid).status_code == 201
        assert [d.subscription_id for d in push.deliveries()] == [fine.id]

    def test_a_2xx_rule_still_delivers(self, push: FakePushService, vapid: VapidKeys) -> None:
        push.respond_with(202, times=1)

        assert send(push.subscribe(), vapid).status_code == 202
        assert len(push.deliveries()) == 1

    def test_rules_never_hide_a_broken_request(
        self, push: FakePushService, vapid: VapidKeys
    ) -> None:
        push.respond_with(201)
        subscription = push.subscribe()
        other_keys = push.subscribe().to_json()["keys"]

        response = refused(lambda: send({**subscription.to_json(), "keys": other_keys}, vapid))

        assert response.status_code == 400
        assert push.deliveries() == []


class TestHanging:
    def test_a_hung_request_times_out_the_client_and_is_not_delivered(
        self, push: FakePushService, vapid: VapidKeys
    ) -> None:
        subscription = push.subscribe()
        push.hang()

        with pytest.raises(requests.exceptions.Timeout):
            send(subscription, vapid, timeout=0.3)
        eventually(lambda: push.abandoned_count == 1)
        push.release()

        assert send(subscription, vapid, '{"after": true}').status_code == 201
        assert [d.json() for d in push.deliveries()] == [{"after": True}]
        assert push.request_count == 2

    def test_release_answers_a_client_still_waiting(
        self, push: FakePushService, vapid: VapidKeys
    ) -> None:
        subscription = push.subscribe()
        push.hang(times=1)
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(send, subscription, vapid, '{"held": true}')
            eventually(lambda: push.request_count == 1)
            time.sleep(0.05)
            assert not waiting.done()
            assert push.deliveries() == []

            push.release()

            assert waiting.result(timeout=5).status_code == 201
        assert [d.json() for d in push.deliveries()] == [{"held": True}]

    def test_hang_for_one_subscription_leaves_others_alone(
        self, push: FakePushService, vapid: VapidKeys
    ) -> None:
        stuck, fine = push.subscribe(), push.subscribe()
        push.hang(endpoint_id=stuck.id)

        with pytest.raises(requests.exceptions.Timeout):
            send(stuck, vapid, timeout=0.2)
        assert send(fine, vapid).status_code == 201

    def test_stop_closes_held_connections_without_an_answer(self, vapid: VapidKeys) -> None:
        push = FakePushService().start()
        subscription = push.subscribe()
        push.hang()
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(send, subscription, vapid, "{}", timeout=5)
            eventually(lambda: push.request_count == 1)

            started = time.monotonic()
            push.stop()

            with pytest.raises(requests.exceptions.ConnectionError):
                waiting.result(timeout=5)
        assert time.monotonic() - started < 2
        assert push.deliveries() == []


class TestConnections:
    def test_500_pushes_from_8_threads_are_each_delivered_once(
        self, push: FakePushService, vapid: VapidKeys
    ) -> None:
        subscriptions = [push.subscribe() for _ in range(10)]
        local = threading.local()

        def push_one(n: int) -> int:
            if not hasattr(local, "session"):
                local.session = requests.Session()  # keep-alive, like a real dispatcher
            subscription = subscriptions[n % len(subscriptions)]
            response = send(
                subscription, vapid, json.dumps({"n": n}), requests_session=local.session
            )
            return response.status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(push_one, range(500)))

        deliveries = push.wait_for(500, timeout=10)
        assert statuses == [201] * 500
        assert Counter(d.json()["n"] for d in deliveries) == Counter(range(500))
        assert all(d.subscription_id == subscriptions[d.json()["n"] % 10].id for d in deliveries)
        assert (push.request_count, push.rejections) == (500, [])
        assert push.connection_count <= 8

    def test_an_httpx_client_keeps_one_connection_alive(
        self, push: FakePushService, vapid: VapidKeys
    ) -> None:
        subscription = push.subscribe()

        with httpx.Client(timeout=5) as client:
            for n in range(3):
                headers, body = encrypted_request(subscription, vapid, json.dumps([n]).encode())
                response = client.post(subscription.endpoint, content=body, headers=headers)
                assert response.status_code == 201
                assert response.headers["ttl"] == "60"

        assert [d.json() for d in push.deliveries()] == [[0], [1], [2]]
        assert push.connection_count == 1

    @pytest.mark.parametrize("chunk", [0, 7], ids=["one-write", "7-byte-pieces"])
    def test_pipelined_requests_are_each_answered(
        self, push: FakePushService, vapid: VapidKeys, chunk: int
    ) -> None:
        subscription = push.subscribe()
        wire = b""
        for n in range(2):
            headers, body = encrypted_request(subscription, vapid, json.dumps([n]).encode())
            head = [f"POST /push/{subscription.id} HTTP/1.1", f"content-length: {len(body)}"]
            head += [f"{name}: {value}" for name, value in headers.items()]
            wire += ("\r\n".join(head) + "\r\n\r\n").encode() + body

        answer = raw_exchange(push, wire, chunk)

        assert answer.count(b"HTTP/1.1 201 Created\r\n") == 2
        assert [d.json() for d in push.deliveries()] == [[0], [1]]


class TestWithoutVerification:
    def test_signature_and_payload_go_unchecked_but_headers_still_count(
        self, vapid: VapidKeys
    ) -> None:
        with FakePushService(verify=False) as push:
            subscription = push.subscribe()
            change = _signed_by_another_key(push, subscription, vapid)

            assert send(subscription, vapid, "{}", **change).status_code == 201
            headers, body = encrypted_request(subscription, vapid)
            del headers["ttl"]
            missing_ttl = requests.post(
                subscription.endpoint, data=body, headers=headers, timeout=5
            )

        [delivery] = push.deliveries()
        assert delivery.payload != b"{}"  # the encrypted body, recorded as it came
        assert len(delivery.payload) == 86 + 2 + 1 + 16
        assert missing_ttl.status_code == 400


def test_latency_delays_answers_but_not_concurrent_connections() -> None:
    with FakePushService(latency=0.2) as push:
        subscriptions = [push.subscribe() for _ in range(4)]
        keys = new_vapid_keys()

        def send(sub: FakeSubscription) -> int:
            response = webpush(
                subscription_info=sub.to_json(),
                data="{}",
                vapid_private_key=keys.private_key,
                vapid_claims={"sub": "mailto:ops@clinic.example"},
                ttl=60,
                timeout=5,
            )
            return int(response.status_code)  # type: ignore[union-attr]

        started = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(send, subscriptions))
        elapsed = time.monotonic() - started
    assert statuses == [201] * 4
    assert 0.2 <= elapsed < 0.6  # each waited once, all at the same time
