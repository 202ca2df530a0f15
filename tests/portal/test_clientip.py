"""The client's address and scheme behind a reverse proxy: forwarding headers are believed only from
the proxies named in TRUSTED_PROXIES (kinlink.portal.clientip)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory

from kinlink.portal.clientip import client_ip, forwarded_scheme


def _request(remote: str, forwarded_for: str | None = None, proto: str | None = None) -> Any:
    headers: dict[str, str] = {"REMOTE_ADDR": remote}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    if proto is not None:
        headers["HTTP_X_FORWARDED_PROTO"] = proto
    return RequestFactory().get("/", **headers)


def test_without_trusted_proxies_the_forwarding_headers_are_ignored(settings: Any) -> None:
    settings.TRUSTED_PROXIES = []
    request = _request("203.0.113.7", forwarded_for="198.51.100.1", proto="https")
    assert client_ip(request) == "203.0.113.7"
    assert forwarded_scheme(request) is None


def test_a_client_cannot_choose_its_address_through_a_trusted_proxy(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    # The client wrote "1.2.3.4" itself; the proxy appended the address it saw (203.0.113.7).
    request = _request("127.0.0.1", forwarded_for="1.2.3.4, 203.0.113.7")
    assert client_ip(request) == "203.0.113.7"
    # Two trusted hops (a load balancer in 10/8, then the local TLS proxy): the rightmost untrusted one.
    request = _request("127.0.0.1", forwarded_for="1.2.3.4, 203.0.113.7, 10.1.2.3")
    assert client_ip(request) == "203.0.113.7"


def test_an_untrusted_sender_of_forwarding_headers_is_the_client(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_ip(_request("203.0.113.7", forwarded_for="127.0.0.1")) == "203.0.113.7"


def test_addresses_are_normalised_and_garbage_is_not_believed(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["::1", "127.0.0.1"]
    assert client_ip(_request("::1", forwarded_for="[2001:db8::5]:443")) == "2001:db8::5"
    assert client_ip(_request("127.0.0.1", forwarded_for="203.0.113.9:5100")) == "203.0.113.9"
    assert client_ip(_request("127.0.0.1", forwarded_for="not-an-address")) == "127.0.0.1"
    assert client_ip(_request("127.0.0.1", forwarded_for="")) == "127.0.0.1"
    assert client_ip(_request("")) == "unknown"


@pytest.mark.parametrize(("trusted", "redirected"), [([], True), (["127.0.0.1"], False)])
def test_x_forwarded_proto_is_believed_only_from_a_trusted_proxy(
    db: None, settings: Any, trusted: list[str], redirected: bool
) -> None:
    """Django's SECURE_PROXY_SSL_HEADER believed any client that said "https"; with the HTTPS redirect
    on, a plain-http request claiming https must still be redirected unless a trusted proxy says so."""
    settings.SECURE_SSL_REDIRECT = True
    settings.TRUSTED_PROXIES = trusted
    response = Client(REMOTE_ADDR="127.0.0.1").get("/en/request/new", HTTP_X_FORWARDED_PROTO="https")
    assert (response.status_code == 301 and response["Location"].startswith("https://")) is redirected
    if not redirected:
        assert response.status_code == 200


def test_a_malformed_trusted_proxy_stops_the_start() -> None:
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import kinlink.settings"],
        env={**os.environ, "KINLINK_TRUSTED_PROXIES": "127.0.0.1,not-a-network"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "not-a-network" in result.stderr
