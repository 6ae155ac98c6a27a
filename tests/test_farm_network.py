"""The farm's network model: latency with a long tail, slow and dead sites, thin lines for documents."""

from __future__ import annotations

import socket
import statistics
import time

import pytest

from testbed.farm import generate, serve
from testbed.farm.server import FarmServer
from testbed.farm.spec import NETWORKS, REAL_NETWORK
from test_farm_server import get


def test_networks_drawn_per_site_deterministically_and_loopback_by_default():
    assert {s.network for s in generate(300, seed=3)} == {"loopback"}
    a, b = generate(2000, seed=3, network=REAL_NETWORK), generate(2000, seed=3, network=REAL_NETWORK)
    assert [s.network for s in a] == [s.network for s in b]
    shares = {n: sum(s.network == n for s in a) / len(a) for n in NETWORKS}
    assert shares["loopback"] == 0
    assert 0.92 < shares["typical"] < 0.98 and 0.015 < shares["slow"] < 0.05 and 0.008 < shares["dead"] < 0.035
    # The network is an extra draw: the sites themselves (names, faults, styles) do not change.
    plain = generate(2000, seed=3)
    assert [(s.name, s.faults, s.style) for s in a] == [(s.name, s.faults, s.style) for s in plain]
    forced = generate(5, seed=3, site_network={1: "dead", 2: "slow"})
    assert [s.network for s in forced] == ["loopback", "dead", "slow", "loopback", "loopback"]
    assert forced.sites[1].outcome == "timeout" and forced.sites[1].describe()["network"] == "dead"
    with pytest.raises(ValueError, match="unknown networks"):
        generate(3, network={"satellite": 0.5})


def test_typical_latency_has_the_median_and_a_long_tail():
    farm = generate(400, seed=5, network={"typical": 1.0}, latency_median=0.15)
    server = FarmServer(farm)
    draws = [server.network_delay(site) for site in farm.sites for _ in range(10)]
    median = statistics.median(draws)
    assert 0.12 < median < 0.19
    p99 = statistics.quantiles(draws, n=100)[98]
    assert p99 > 4 * median  # the tail: a few responses several times slower
    slow = generate(3, seed=5, site_network={0: "slow"}, slow_latency=(2.0, 6.0))
    assert all(2.0 <= FarmServer(slow).network_delay(slow.sites[0]) <= 6.0 for _ in range(20))
    assert FarmServer(slow).network_delay(slow.sites[1]) == 0.0


def test_served_slow_site_waits_dead_site_never_accepts_documents_are_throttled():
    farm = generate(6, seed=9, faults={}, cover_types=False, site_network={0: "slow", 1: "dead", 2: "typical"},
                    slow_latency=(0.4, 0.5), latency_median=0.01, doc_bandwidth=400)
    with serve(farm) as farm:
        t0 = time.monotonic()
        status, _, _ = get(farm.sites[0], farm.port, "/robots.txt")
        assert status == 200 and time.monotonic() - t0 >= 0.4
        # Dead: the connection is never accepted (a connect timeout), unlike a refused one.
        t0 = time.monotonic()
        with pytest.raises((TimeoutError, socket.timeout)):
            socket.create_connection((farm.sites[1].host, farm.port), timeout=1.0)
        assert time.monotonic() - t0 >= 0.9
        # A document of a typical site comes at its bandwidth (≈400 B/s, ×0.6…1.65 per site).
        typical = farm.sites[2]
        doc = next(p for p, st in typical.content.docs.items() if st == 200 and not typical.content.features["cdn_docs"])
        t0 = time.monotonic()
        status, headers, body = get(typical, farm.port, doc, timeout=10)
        took = time.monotonic() - t0
        assert status == 200 and not headers["content-type"].startswith("text/")
        assert took >= len(body) / (400 * 1.65) * 0.9
        # The loopback sites are untouched by it all.
        t0 = time.monotonic()
        assert get(farm.sites[3], farm.port, "/robots.txt")[0] == 200
