"""The address of the client a request came from, aware of the reverse proxies this instance trusts.

``X-Forwarded-For`` and ``X-Forwarded-Proto`` are headers any client can send. They are believed only
when the request arrived from one of ``settings.TRUSTED_PROXIES`` (addresses or CIDR networks, from
``KINLINK_TRUSTED_PROXIES``; empty by default, so that nothing a client sends is believed). The client is
then the rightmost hop of ``X-Forwarded-For`` that is not itself a trusted proxy: every hop to its right
was added by a proxy we trust, every hop to its left was written by the client and may be a lie.

One function, ``client_ip``, for every user of the client's address: the rate limits and lockouts of the
public forms, django-axes (``AXES_CLIENT_IP_CALLABLE``), logs.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

UNKNOWN = "unknown"


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def trusted_networks() -> tuple[Network, ...]:
    """The trusted proxies of the settings, parsed (a malformed entry fails loudly here and at start-up)."""
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))


def _address(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "192.0.2.1:5000"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address | None, networks: Iterable[Network]) -> bool:
    return address is not None and any(address in network for network in networks)


def from_trusted_proxy(request: HttpRequest) -> bool:
    """Whether the request reached us directly from a trusted proxy (so its forwarding headers count)."""
    return _is_trusted(_address(str(request.META.get("REMOTE_ADDR", ""))), trusted_networks())


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or, behind a trusted proxy, the rightmost untrusted hop of
    X-Forwarded-For. ``"unknown"`` when there is no usable address (never a value a client chose)."""
    networks = trusted_networks()
    remote = _address(str(request.META.get("REMOTE_ADDR", "")))
    if remote is None:
        return UNKNOWN
    if not _is_trusted(remote, networks):
        return str(remote)
    hops = [hop for hop in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if hop.strip()]
    client = remote
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            # A hop that is no address was written by someone we cannot trust: stop at the last good one.
            break
        client = address
        if not _is_trusted(address, networks):
            break
    return str(client)


def forwarded_scheme(request: HttpRequest) -> str | None:
    """The scheme a trusted proxy says the client used (``http`` or ``https``), or None."""
    if not from_trusted_proxy(request):
        return None
    value = str(request.META.get("HTTP_X_FORWARDED_PROTO", "")).split(",")[0].strip().lower()
    return value if value in ("http", "https") else None


class TrustedProxyMiddleware:
    """Sets the request's scheme from ``X-Forwarded-Proto`` only when a trusted proxy sent it.

    Replaces Django's ``SECURE_PROXY_SSL_HEADER``, which believes the header from any client. It must run
    before ``SecurityMiddleware`` (the HTTPS redirect) and anything that reads ``request.is_secure()``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        scheme = forwarded_scheme(request)
        if scheme is not None:
            request.META["wsgi.url_scheme"] = scheme
        else:
            # A client's own claim is dropped, so that nothing further down can believe it.
            request.META.pop("HTTP_X_FORWARDED_PROTO", None)
        return self.get_response(request)
