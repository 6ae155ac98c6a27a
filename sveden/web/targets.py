"""Which site addresses the page refuses before queueing a check (SSRF), by the crawler's own policy.

The refusal here is the first of three: the crawl checks the resolved address again for the
site and for every redirect (``crawler.ssrf.AddressGuard``), and its resolver refuses internal
answers for the connection itself (DNS rebinding).
"""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import urlsplit

from crawler.addresses import DEFAULT_PORTS, AddressPolicy, is_local_name, parse_ip, refusal_message

RESOLVE_TIMEOUT = 5.0


def crawl_policy() -> AddressPolicy:
    """The policy the crawl applies: ``SVEDEN_ALLOW_PRIVATE_ADDRESSES`` and ``SVEDEN_PRIVATE_ALLOWLIST``."""
    from crawler import settings as project

    return AddressPolicy.build(bool(project.SVEDEN_ALLOW_PRIVATE_ADDRESSES), project.SVEDEN_PRIVATE_ALLOWLIST)


def _addresses(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return []  # the crawl names it («имя сайта не найдено в DNS»)
    return [str(info[4][0]) for info in infos]


async def refusal(url: str, policy: AddressPolicy) -> str | None:
    """The Russian reason why the site at ``url`` is not checked, or None."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower(), 80)
    except ValueError:
        return None  # the URL check names a bad port
    if policy.allow_all or policy.permits_origin(host, port):
        return None
    ip = parse_ip(host)
    if ip is not None:
        return None if policy.permits_address(ip) else refusal_message(host, str(ip), "адрес сайта")
    if is_local_name(host):
        return refusal_message(host, host, "адрес сайта")
    try:
        addresses = await asyncio.wait_for(asyncio.to_thread(_addresses, host, port), RESOLVE_TIMEOUT)
    except TimeoutError:
        return None
    for address in addresses:
        if not policy.permits_address(address):
            return refusal_message(host, address, "адрес сайта")
    return None
