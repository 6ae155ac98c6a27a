"""SSRF protection in Scrapy: every request the crawler sends goes through :class:`AddressGuard`.

One policy (``crawler.addresses``), applied in two places of the same process:

- :class:`AddressGuard`, a downloader middleware that runs before every other one, sees every
  request: the organization's page, every redirect and ``<meta http-equiv=refresh>`` (they come
  back through the middlewares as new requests), robots.txt, every document probe and every
  bus.gov.ru request. It refuses an IP literal at once and resolves a name through the
  reactor's resolver, then checks the address the connection would use. A refused request
  raises :class:`ForbiddenAddress` (outcome ``forbidden_address``); nothing is connected to.
- :class:`GuardedResolver` (``TWISTED_DNS_RESOLVER``) refuses private answers for the
  connection itself, so a name that changes its answer between the check and the connection
  (DNS rebinding) still never reaches an internal address. Scrapy's resolver caches answers, so
  the connection normally uses the very address the middleware checked.

``SVEDEN_ALLOW_PRIVATE_ADDRESSES`` and ``SVEDEN_PRIVATE_ALLOWLIST`` are described in
``crawler.addresses``. Hosts of the operator's configured HTTP proxies are trusted by the resolver.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies

from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from scrapy.http import Request
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import DNSLookupError

from crawler.addresses import DEFAULT_PORTS, OUTCOME, AddressPolicy, parse_ip, refusal_message
from crawler.requestkinds import document_link

log = logging.getLogger(__name__)


class ForbiddenAddress(IgnoreRequest):
    """A request refused before connecting: its host is (or resolves to) an internal address."""

    error_kind = OUTCOME

    def __init__(self, host: str, address: str, message: str | None = None):
        self.host = host
        self.address = address
        super().__init__(message or refusal_message(host, address))


def _proxy_hosts() -> frozenset[str]:
    hosts = set()
    for url in getproxies().values():
        try:
            host = urlsplit(url if "://" in url else f"http://{url}").hostname
        except ValueError:
            continue
        if host:
            hosts.add(host.lower())
    return frozenset(hosts)


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver that never hands out an internal address (see the module doc)."""

    policy = AddressPolicy(allow_all=True)
    trusted: frozenset[str] = frozenset()

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)
        resolver.policy = AddressPolicy.from_settings(crawler.settings)
        resolver.trusted = _proxy_hosts()
        return resolver

    def getHostByName(self, name: str, timeout=()):  # noqa: N802 - Twisted's interface
        d = super().getHostByName(name, timeout)
        d.addCallback(self._check, name)
        return d

    def _check(self, address: str, name: str) -> str:
        if self.policy.permits_address(address) or self.policy.permits_name(name) or name.lower() in self.trusted:
            return address
        raise ForbiddenAddress(name, address)


class AddressGuard:
    """Downloader middleware: no request reaches an internal address (see the module doc)."""

    def __init__(self, policy: AddressPolicy):
        self.policy = policy

    @classmethod
    def from_crawler(cls, crawler):
        return cls(AddressPolicy.from_settings(crawler.settings))

    @staticmethod
    def _what(request: Request) -> str:
        if document_link(request):  # a probe or a download, and every redirect of it
            return "ссылка на документ"
        if request.meta.get("redirect_urls"):
            return "переадресация"
        if request.meta.get("sveden_role") == "home":
            return "адрес сайта"
        return "адрес"

    def refuse(self, request: Request, host: str, address: str) -> ForbiddenAddress:
        message = refusal_message(host, address, self._what(request))
        log.info("refused %s: %s", request.url, message)
        return ForbiddenAddress(host, address, message)

    async def process_request(self, request: Request, spider: Any = None) -> None:
        if self.policy.allow_all:
            return None
        parts = urlparse_cached(request)
        scheme = (parts.scheme or "").lower()
        if scheme == "data":
            return None
        host = (parts.hostname or "").rstrip(".").lower()
        try:
            port = parts.port or DEFAULT_PORTS.get(scheme)
        except ValueError:
            port = None
        if host and self.policy.permits_origin(host, port):
            return None
        ip = parse_ip(host)
        if ip is not None:
            address = str(ip)
        elif not host:  # file:///…, or an empty host the reactor would read as 0.0.0.0
            raise self.refuse(request, host, "0.0.0.0")
        else:
            address = await self._resolve(request, host)
        if not self.policy.permits_address(address):
            raise self.refuse(request, host, address)
        return None

    async def _resolve(self, request: Request, host: str) -> str:
        from twisted.internet import reactor

        try:
            return await maybe_deferred_to_future(reactor.resolve(host))
        except ForbiddenAddress as exc:  # the GuardedResolver refused the answer
            raise self.refuse(request, host, exc.address) from None
        except DNSLookupError as exc:  # as the download handler would report it (and retry it)
            raise CannotResolveHostError(str(exc)) from exc
