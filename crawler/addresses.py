"""Which network addresses the crawler may connect to (SSRF protection): the policy, stdlib only.

A registry row, a redirect, a ``<meta http-equiv=refresh>`` or a document link can point the
crawler at the machine it runs on or at the operating centre's internal network (cloud metadata
at 169.254.169.254, routers, databases, admin panels). By default every address that is not
public is refused: loopback, private (RFC 1918, fc00::/7), link-local, CGNAT (100.64.0.0/10),
unspecified, multicast, reserved, and IPv6 forms that embed such an IPv4 address
(``::ffff:10.0.0.1``, 6to4, NAT64). The check is made on the address a name resolves to, not on
the name (``crawler.ssrf`` applies it to every request, redirect and probe, and in the resolver).

Switches:
- ``SVEDEN_ALLOW_PRIVATE_ADDRESSES=1`` in the environment (or the Scrapy setting of that name)
  turns the protection off: tests, the demo and the farm serve their sites on 127.0.0.x;
- the setting ``SVEDEN_PRIVATE_ALLOWLIST`` permits exactly the listed origins while the
  protection stays on — ``"127.0.0.1:8080"``, ``"[::1]:8080"``, ``"intranet.example"`` (any
  port) or networks ``"10.20.0.0/16"``. It is meant for tests and closed networks.

This module imports nothing but the standard library, so the registry import can use it.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

ENV_ALLOW = "SVEDEN_ALLOW_PRIVATE_ADDRESSES"  # a contract: other tools set it by this name
SETTING_ALLOW = ENV_ALLOW
SETTING_ALLOWLIST = "SVEDEN_PRIVATE_ALLOWLIST"
OUTCOME = "forbidden_address"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

CGNAT = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: not in is_private before 3.13
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known NAT64 prefix: the IPv4 address is the last 32 bits
_TRUE = ("1", "true", "yes", "on")
# Names that never leave the machine or the local network, whatever DNS says.
LOCAL_NAMES = ("localhost",)
LOCAL_SUFFIXES = (".localhost", ".local", ".localdomain", ".internal", ".home.arpa", ".intranet", ".lan")
DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21}


def env_allows(environ: Mapping[str, str] | None = None) -> bool:
    """Is the protection turned off by ``SVEDEN_ALLOW_PRIVATE_ADDRESSES``?"""
    value = (os.environ if environ is None else environ).get(ENV_ALLOW, "")
    return value.strip().lower() in _TRUE


def parse_ip(text: str | None) -> IPAddress | None:
    """An IP address literal (IPv6 with or without brackets or a zone), or None for a name."""
    if not text:
        return None
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def is_forbidden(address: str | IPAddress) -> bool:
    """True for every address that is not a public unicast one (and for anything unparsable)."""
    ip = parse_ip(address) if isinstance(address, str) else address
    if ip is None:
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = [ip.ipv4_mapped, ip.sixtofour]
        if ip in NAT64:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if any(e is not None and is_forbidden(e) for e in embedded):
            return True
        if ip.ipv4_mapped is not None:
            return False
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_unspecified
        or ip.is_multicast
        or (isinstance(ip, ipaddress.IPv4Address) and ip in CGNAT)
        or not ip.is_global
    )


def is_local_name(host: str | None) -> bool:
    """``localhost`` and the names of local networks (``*.local``, ``*.internal``…), no DNS asked."""
    host = (host or "").strip().rstrip(".").lower()
    return host in LOCAL_NAMES or host.endswith(LOCAL_SUFFIXES)


def private_host(host: str | None) -> str | None:
    """Without resolving: why ``host`` is known to lead into an internal network (an IP literal
    that is not public, or a local name), or None. For warnings before any crawl (registry import)."""
    host = (host or "").strip().rstrip(".").lower()
    ip = parse_ip(host)
    if ip is not None:
        return str(ip) if is_forbidden(ip) else None
    return host if is_local_name(host) else None


def shown(host: str, address: str) -> str:
    """``10.0.0.5`` or ``localhost → 127.0.0.1``."""
    host = host.strip("[]")
    return address if not host or host == address or parse_ip(host) == parse_ip(address) else f"{host} → {address}"


def refusal_message(host: str, address: str, what: str = "адрес") -> str:
    """The Russian explanation of a refused address; ``what`` names the thing that led there."""
    return f"{what} ведёт во внутреннюю сеть ({shown(host, address)}) — такие адреса не проверяются"


def _parse_entry(entry: str) -> tuple[str, int | None] | IPNetwork:
    entry = entry.strip().lower()
    if "/" in entry:
        return ipaddress.ip_network(entry, strict=False)
    port: int | None = None
    if entry.startswith("["):  # [v6] or [v6]:port
        host, _, rest = entry[1:].partition("]")
        if rest:
            port = int(rest.removeprefix(":")) if rest.startswith(":") else -1
        if parse_ip(host) is None:
            raise ValueError(entry)
    elif entry.count(":") == 1:
        host, text = entry.split(":")
        port = int(text)
    else:  # a name, an IPv4 address or a bare IPv6 address: any port
        host = entry
        if ":" in host and parse_ip(host) is None:
            raise ValueError(entry)
    host = host.rstrip(".")
    if not host or port is not None and not 0 < port < 65536:
        raise ValueError(entry)
    return host, port


@dataclass(frozen=True)
class AddressPolicy:
    """What may be connected to: everything (``allow_all``), or public addresses plus the allowlist."""

    allow_all: bool = False
    origins: frozenset[tuple[str, int | None]] = field(default_factory=frozenset)
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def build(cls, allow_all: bool, allowlist: Iterable[str] = ()) -> AddressPolicy:
        origins: set[tuple[str, int | None]] = set()
        networks: list[IPNetwork] = []
        for entry in allowlist:
            if not str(entry).strip():
                continue
            try:
                parsed = _parse_entry(str(entry))
            except ValueError:
                raise ValueError(
                    f"{SETTING_ALLOWLIST}: запись «{entry}» не разбирается "
                    "(нужно «хост», «хост:порт», «[IPv6]:порт» или сеть вида «10.20.0.0/16»)"
                ) from None
            if isinstance(parsed, tuple):
                host, port = parsed
                ip = parse_ip(host)
                origins.add((str(ip) if ip else host, port))
            else:
                networks.append(parsed)
        return cls(allow_all, frozenset(origins), tuple(networks))

    @classmethod
    def from_settings(cls, settings) -> AddressPolicy:
        """From Scrapy settings (``SVEDEN_ALLOW_PRIVATE_ADDRESSES``, ``SVEDEN_PRIVATE_ALLOWLIST``)."""
        return cls.build(settings.getbool(SETTING_ALLOW, env_allows()), settings.getlist(SETTING_ALLOWLIST, []))

    @staticmethod
    def _key(host: str) -> str:
        host = host.strip().strip("[]").rstrip(".").lower()
        ip = parse_ip(host)
        return str(ip) if ip else host

    def permits_origin(self, host: str, port: int | None) -> bool:
        """The origin is listed as it is written in the URL (no resolution): host and port, or host with any port."""
        if self.allow_all:
            return True
        key = self._key(host)
        return (key, port) in self.origins or (key, None) in self.origins

    def permits_name(self, host: str) -> bool:
        """The name is listed with some port (the resolver does not know the port; the middleware checks it)."""
        key = self._key(host)
        return self.allow_all or any(h == key for h, _ in self.origins)

    def permits_address(self, address: str | IPAddress) -> bool:
        """A resolved address may be connected to: a public one, or one in a listed network."""
        if self.allow_all:
            return True
        ip = parse_ip(address) if isinstance(address, str) else address
        if ip is None:
            return False
        if any(ip.version == n.version and ip in n for n in self.networks):
            return True
        return not is_forbidden(ip)
