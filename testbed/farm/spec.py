"""The farm's description: which sites exist, what they are and how they misbehave.

``generate()`` draws only the cheap, site-level facts (type, name, address, CMS style,
encoding, faults); each site's pages, defects and ground truth are derived on request
from ``(seed, index)`` by :mod:`testbed.farm.content`, so a farm of thousands of sites
costs nothing until it is served or judged.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import json
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from testbed.farm import names

TYPES = ("school", "kindergarten", "college", "university", "additional", "dpo")
# Shares of organization types in a municipal registry (schools and kindergartens dominate).
DEFAULT_TYPE_WEIGHTS = {"school": 0.38, "kindergarten": 0.28, "additional": 0.1, "college": 0.09, "university": 0.08, "dpo": 0.07}

# Site engines and their share: markup, paths and quirks differ (see render.py).
STYLES = {"bitrix": 0.3, "joomla": 0.18, "wordpress": 0.15, "dl": 0.1, "gosweb": 0.15, "static": 0.12}

# Faults that decide the organization's outcome (at most one per site) and their default rates.
OUTCOME_FAULTS: dict[str, str] = {
    "down": "unreachable",  # nothing listens: connection refused
    "reset": "unreachable",  # connection reset after the request
    "timeout": "timeout",  # the server never answers
    "http_5xx": "http_error",  # home page answers 500/502/503
    "blocked_403": "blocked",
    "blocked_429": "blocked",
    "challenge": "blocked",  # an anti-bot HTML challenge page instead of the site
    "robots_all": "robots_disallowed",  # robots.txt: Disallow: /
    "redirect_loop": "redirect_loop",  # the home page redirects in a circle
    "too_large": "too_large",  # a home page of 64 MiB
    "no_sveden": "no_sveden_section",  # no «Сведения об образовательной организации» at all
}
# Faults that make a crawl harder without changing what a correct crawler finds.
BENIGN_FAULTS = ("slow", "malformed", "wrong_charset")
DEFAULT_FAULTS: dict[str, float] = {
    "down": 0.01, "reset": 0.01, "timeout": 0.01, "http_5xx": 0.012, "blocked_403": 0.008, "blocked_429": 0.006,
    "challenge": 0.008, "robots_all": 0.01, "redirect_loop": 0.008, "too_large": 0.005, "no_sveden": 0.02,
    "slow": 0.03, "malformed": 0.08, "wrong_charset": 0.03,
}
ALL_FAULTS = (*OUTCOME_FAULTS, *BENIGN_FAULTS)

# The network in front of a site (server.py applies it): "loopback" answers at once; "typical" waits
# per response a lognormal latency (median LATENCY_MEDIAN over all sites, long tail) and sends
# documents at a limited bandwidth; "slow" waits seconds per response; "dead" never accepts a
# connection (a connect timeout, as a switched-off host behind a firewall).
NETWORKS = ("loopback", "typical", "slow", "dead")
# Shares like a region's school hosting: most sites cheap shared hosting, a few very slow or gone.
REAL_NETWORK: dict[str, float] = {"typical": 0.95, "slow": 0.03, "dead": 0.02}
LATENCY_MEDIAN = 0.15


def _rng(seed: int, index: int, purpose: str) -> random.Random:
    # str seeds are hashed with SHA-512 by random.seed: stable across processes and PYTHONHASHSEED.
    return random.Random(f"sveden-farm:{seed}:{index}:{purpose}")


def host_for(index: int, base: str = "127.0.0.2") -> str:
    """The loopback address of site ``index``: 127.0.0.2, 127.0.0.3, … (last octets 0 and 255 skipped)."""
    n = int(ipaddress.IPv4Address(base))
    block, octet = n >> 8, n & 0xFF
    if octet in (0, 255):
        raise ValueError(f"base address {base} ends in 0 or 255")
    position = octet - 1 + index
    addr = ipaddress.IPv4Address(((block + position // 254) << 8) | (position % 254 + 1))
    if not addr.is_loopback:
        raise ValueError(f"too many sites for the loopback network from {base}")
    return str(addr)


@dataclass
class SiteSpec:
    """One organization and its site, as the registry and the server know it."""

    farm: Farm = field(repr=False)
    index: int
    org_id: str
    org_type: str
    name: str
    short_name: str
    municipality: str
    town: str
    inn: str
    busgov_agency_id: int
    host: str
    style: str
    encoding: str  # "utf-8" | "windows-1251"
    charset_in: str  # where the charset is declared: "header", "meta", "both"
    faults: tuple[str, ...] = ()
    network: str = "loopback"  # one of NETWORKS

    @property
    def port(self) -> int:
        return self.farm.port

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.farm.port}"

    @property
    def url(self) -> str:
        return self.origin + "/"

    @property
    def outcome(self) -> str:
        if self.network == "dead":
            return "timeout"
        for f in self.faults:
            if f in OUTCOME_FAULTS:
                return OUTCOME_FAULTS[f]
        return "ok"

    @property
    def content(self):
        """Pages, defects and truth of this site (derived on demand, cached per farm)."""
        return self.farm.content(self.index)

    @property
    def defects(self) -> list[dict[str, Any]]:
        return self.content.defects

    def truth(self) -> dict[str, Any]:
        from testbed.farm.truth import site_truth

        return site_truth(self)

    def registry_row(self) -> dict[str, Any]:
        return {
            "id": self.org_id, "inn": self.inn, "name": self.name, "type": self.org_type,
            "municipality": self.municipality, "url": self.url, "busgov_agency_id": self.busgov_agency_id,
        }

    def describe(self) -> dict[str, Any]:
        return {
            **self.registry_row(), "index": self.index, "short_name": self.short_name, "host": self.host, "port": self.port,
            "style": self.style, "encoding": self.encoding, "charset_in": self.charset_in, "faults": list(self.faults),
            "network": self.network, "outcome": self.outcome,
        }


@dataclass
class Farm:
    seed: int
    sites: list[SiteSpec]
    port: int = 0
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        self._content = lru_cache(maxsize=self.options.get("cache_sites", 512))(self._build)

    def _build(self, index: int):
        from testbed.farm.content import build_site

        return build_site(self.sites[index])

    def content(self, index: int):
        return self._content(index)

    def set_edits(self, edits: Mapping[int, Sequence[str]]) -> None:
        """What the sites look like this month: site index → rule codes whose items lost their markup
        (the rest of each site as generated). Pages served from now on follow; sites change between
        monthly runs deterministically, so fixes, breaks and regressions can be tested."""
        self.options["edits"] = {int(i): tuple(codes) for i, codes in edits.items()}
        self._content.cache_clear()

    def __len__(self) -> int:
        return len(self.sites)

    def __iter__(self):
        return iter(self.sites)

    @property
    def cdn_host(self) -> str:
        """A shared «CDN» address some sites keep their documents on (after the last site's)."""
        return host_for(len(self.sites), self.options.get("base_host", "127.0.0.2"))

    @property
    def cdn_origin(self) -> str:
        return f"http://{self.cdn_host}:{self.port}"

    def by_host(self) -> dict[str, SiteSpec]:
        return {s.host: s for s in self.sites}

    def targets(self) -> list[dict[str, Any]]:
        """The crawler's batch input: [{"org_id", "url", "org_type"}]."""
        return [{"org_id": s.org_id, "url": s.url, "org_type": s.org_type} for s in self.sites]

    def registry_csv(self) -> str:
        out = io.StringIO()
        cols = ["id", "inn", "name", "type", "municipality", "url", "busgov_agency_id"]
        w = csv.DictWriter(out, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for s in self.sites:
            w.writerow(s.registry_row())
        return out.getvalue()

    def truth(self, indexes: Iterable[int] | None = None) -> dict[str, Any]:
        from checks.catalogue import rules_version

        chosen = self.sites if indexes is None else [self.sites[i] for i in indexes]
        return {
            "seed": self.seed, "n_sites": len(self.sites), "port": self.port, "rules_version": rules_version(),
            "sites": [s.truth() for s in chosen],
        }

    def write_truth(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(self.truth(), fh, ensure_ascii=False)

    def write_registry(self, path: str) -> None:
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(self.registry_csv())


def _weights(types: Sequence[str] | Mapping[str, float] | None) -> dict[str, float]:
    if types is None:
        return dict(DEFAULT_TYPE_WEIGHTS)
    if isinstance(types, Mapping):
        weights = {str(k): float(v) for k, v in types.items()}
    else:
        weights = {str(t): 1.0 for t in types}
    unknown = set(weights) - set(TYPES)
    if unknown:
        raise ValueError(f"unknown organization types: {sorted(unknown)}")
    return weights


def _pick(rng: random.Random, weights: Mapping[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def generate(
    n_sites: int,
    seed: int = 0,
    types: Sequence[str] | Mapping[str, float] | None = None,
    faults: Mapping[str, float] | None = DEFAULT_FAULTS,
    site_faults: Mapping[int, Sequence[str]] | None = None,
    *,
    base_host: str = "127.0.0.2",
    port: int = 0,
    slow_delay: float = 0.5,
    hang_seconds: float = 3600.0,
    defect_rate: float = 1.0,
    cover_types: bool = True,
    network: Mapping[str, float] | None = None,
    site_network: Mapping[int, str] | None = None,
    latency_median: float = LATENCY_MEDIAN,
    slow_latency: tuple[float, float] = (2.0, 6.0),
    doc_bandwidth: int = 256 * 1024,
) -> Farm:
    """A farm of ``n_sites`` synthetic organization sites, fully determined by ``seed``.

    ``types``: organization types to draw (a list: uniform; a mapping: weights; None: registry shares).
    ``faults``: probability of each fault per site (:data:`DEFAULT_FAULTS`; None or {} for none);
    ``site_faults`` forces the faults of given sites (index → fault names), overriding the draw.
    ``defect_rate`` scales the probability of every content defect (0 gives flawless sites).
    ``cover_types``: the first sites take each drawn type once, so small farms have all of them.
    ``network``: share of sites behind each network of :data:`NETWORKS` (:data:`REAL_NETWORK` for a
    region's hosting; None: all loopback, the rest of the shares loopback too); ``site_network`` forces
    the network of given sites. ``latency_median`` (s) of "typical" sites, ``slow_latency`` (s, uniform
    per response) of "slow" ones, ``doc_bandwidth`` (bytes/s, median) for their documents.
    """
    weights = _weights(types)
    fault_rates = dict(faults or {})
    unknown = set(fault_rates) - set(ALL_FAULTS)
    for forced in (site_faults or {}).values():
        unknown |= set(forced) - set(ALL_FAULTS)
    if unknown:
        raise ValueError(f"unknown faults: {sorted(unknown)}")
    net_shares = dict(network or {})
    bad_nets = (set(net_shares) | set((site_network or {}).values())) - set(NETWORKS)
    if bad_nets:
        raise ValueError(f"unknown networks: {sorted(bad_nets)}")
    farm = Farm(seed=seed, sites=[], port=port, options={
        "slow_delay": slow_delay, "hang_seconds": hang_seconds, "defect_rate": defect_rate, "base_host": base_host,
        "latency_median": latency_median, "slow_latency": slow_latency, "doc_bandwidth": doc_bandwidth})
    ordered_types = [t for t in TYPES if weights.get(t, 0) > 0]
    for i in range(n_sites):
        rng = _rng(seed, i, "site")
        if cover_types and i < len(ordered_types):
            org_type = ordered_types[i]
        else:
            org_type = _pick(rng, weights)
        mi = rng.randrange(len(names.MUNICIPALITIES))
        municipality, town = names.MUNICIPALITIES[mi], names.TOWNS[mi]
        full, short = names.org_name(rng, org_type, municipality, town)
        style = _pick(rng, STYLES)
        if org_type in ("university", "college") and style == "gosweb":
            style = "bitrix"  # Госвеб templates are for schools and kindergartens
        encoding = "windows-1251" if rng.random() < 0.15 else "utf-8"
        charset_in = rng.choice(("header", "meta", "both")) if encoding == "windows-1251" else rng.choice(("header", "both", "both"))
        if encoding == "windows-1251" and style == "static" and rng.random() < 0.3:
            charset_in = "none"  # an old hand-made page that declares nothing
        if site_faults and i in site_faults:
            chosen = tuple(site_faults[i])
        else:
            chosen_l: list[str] = []
            frng = _rng(seed, i, "faults")
            for fault in ALL_FAULTS:
                rate = fault_rates.get(fault, 0.0)
                if rate and frng.random() < rate:
                    if fault in OUTCOME_FAULTS and any(f in OUTCOME_FAULTS for f in chosen_l):
                        continue
                    chosen_l.append(fault)
            chosen = tuple(chosen_l)
        if "wrong_charset" in chosen:
            encoding, charset_in = "windows-1251", "wrong_header"
        net = (site_network or {}).get(i) or (_pick(_rng(seed, i, "network"), {"loopback": max(0.0, 1 - sum(net_shares.values())), **net_shares})
                                              if net_shares else "loopback")
        farm.sites.append(
            SiteSpec(
                farm=farm, index=i, org_id=f"farm{seed}-{i:05d}", org_type=org_type, name=full, short_name=short,
                municipality=municipality, town=town, inn=names.inn(rng), busgov_agency_id=100000 + rng.randrange(900000),
                host=host_for(i, base_host), style=style, encoding=encoding, charset_in=charset_in, faults=chosen,
                network=net,
            )
        )
    return farm
