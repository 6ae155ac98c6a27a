"""Scrapy settings of sveden: polite defaults for crawling thousands of school sites.

Every value can be overridden per run (``sveden crawl --set KEY=VALUE``, ``-s`` in scrapy), and
every ``SVEDEN_*`` setting also by the environment variable of its name (``SVEDEN_PAGE_BUDGET=120``,
``SVEDEN_BUSGOV_BASE_URL=…``), typed like its default: numbers, true/false, JSON lists
(:func:`from_environment`, at the end). ``--set`` wins over the environment.
"""

BOT_NAME = "sveden"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

import json
import os

from crawler.addresses import env_allows
from crawler.heap import THRESHOLDS as _gc_thresholds
from crawler.offline import use_bundled_suffix_list

# Every Scrapy crawl of the project loads this module first: no library fetches data at run time.
use_bundled_suffix_list()

# Honest identification with a contact page (school administrators do look at their logs):
# the operating centre sets its own page in SVEDEN_CONTACT_URL.
SVEDEN_CONTACT_URL = os.environ.get("SVEDEN_CONTACT_URL", "https://github.com/sveden-project/sveden#contact")
USER_AGENT = f"sveden/0.1 (+{SVEDEN_CONTACT_URL}; compliance checker of /sveden/ sections)"

ROBOTSTXT_OBEY = True

# Politeness: many sites at once, each gently (per-host slots, AutoThrottle). A site keeps up to
# SVEDEN_SITE_CONCURRENCY requests in the downloader, most of them waiting out its slot's delay, and
# those count here: 256 lets ≈ 60 sites be read at once (64 held a polite run to ≈ 16-20, half the
# speed, bench/network.py); each host still gets 2 connections and its delay.
CONCURRENT_REQUESTS = 256
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
DOWNLOAD_DELAY_JITTER = 0  # determinism: same sites, same schedule
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 10.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.5

# Profiles: named sets of the settings above for a kind of run (SVEDEN_PROFILE, `sveden check --profile`).
# "" or "polite" is the monthly run's politeness above. "interactive" is a one-site check someone waits for
# (`sveden check`, the web page), asked by the site's owner or limited per target host: more requests
# of the host at once and a small delay; robots.txt and its Crawl-delay are obeyed all the same.
# A value set by --set wins over the profile's.
SVEDEN_PROFILE = ""
SVEDEN_PROFILES: dict[str, dict[str, object]] = {
    "polite": {},
    "interactive": {
        "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
        "DOWNLOAD_DELAY": 0.02,
        "AUTOTHROTTLE_ENABLED": False,
        "SVEDEN_SITE_CONCURRENCY": 8,  # documents are probed while pages are read; the host's slot still limits to 4
    },
}

SVEDEN_OBEY_CRAWL_DELAY = True  # robots.txt Crawl-delay slows the host's requests (crawler/crawldelay.py)
SVEDEN_CRAWL_DELAY_MAX = 30.0  # seconds; a larger Crawl-delay is read as this

# Never hang: timeouts, bounded retries, bounded redirects, bounded bodies.
DOWNLOAD_TIMEOUT = 20
# A new connection gives up sooner than a slow answer, and is not retried (crawler/connect.py): a dead
# host costs a site seconds, not 2 × DOWNLOAD_TIMEOUT. 10 s: TCP has resent its SYN three times by then.
SVEDEN_CONNECT_TIMEOUT = 10
DOWNLOAD_HANDLERS = {"http": "crawler.connect.QuickConnectHandler", "https": "crawler.connect.QuickConnectHandler"}
DNS_TIMEOUT = 10
RETRY_ENABLED = True
RETRY_TIMES = 1
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]
REDIRECT_MAX_TIMES = 8
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024  # megabyte tables of universities fit, endless streams do not
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 50_000_000

COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"

DOWNLOADER_MIDDLEWARES = {
    # Sites are crawled on their own host only; the spider checks hosts itself, and document
    # probes may leave the host (documents often live on a CDN or a ministry's site).
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    # SSRF protection: before any other middleware, every request (redirects, meta refresh,
    # robots.txt, document probes, bus.gov.ru) is refused when it leads to an internal address.
    "crawler.ssrf.AddressGuard": 10,
}

# The resolver of the connections refuses internal answers too (DNS rebinding); see crawler/addresses.py.
TWISTED_DNS_RESOLVER = "crawler.ssrf.GuardedResolver"
# Off by default: loopback, private, link-local, CGNAT, unspecified… addresses are refused
# (outcome ``forbidden_address``). The environment variable SVEDEN_ALLOW_PRIVATE_ADDRESSES=1 is
# the switch (tests, the demo and the farm set it).
SVEDEN_ALLOW_PRIVATE_ADDRESSES = env_allows()
# Origins allowed while the protection is on: ["127.0.0.1:8080", "intranet.example", "10.20.0.0/16"].
# For tests and closed networks.
SVEDEN_PRIVATE_ALLOWLIST: list[str] = []

# Scrapy's remote control console is never used (no more than its telnet console): left out of the base
# extensions, so no crawl process imports aiohttp for it (a quarter of a CPU second per process).
from scrapy.settings.default_settings import EXTENSIONS_BASE as _scrapy_extensions  # noqa: E402

EXTENSIONS_BASE = {k: v for k, v in _scrapy_extensions.items() if not k.startswith("scrapy.extensions.remote_control.")}
EXTENSIONS = {
    "crawler.extensions.ProbeHeadersOnly": 500,
    "crawler.progress.CheckProgress": 600,  # off unless SVEDEN_CHECK_PROGRESS is set
    "crawler.crawldelay.CrawlDelay": 520,  # robots.txt Crawl-delay, in every profile
    "crawler.docfetch.DocumentStream": 510,  # document downloads go to temporary files, cut at the cap
    "crawler.heap.LongLivedHeap": 100,  # the cyclic collector tuned for the sites in flight (crawler/heap.py)
}
# Thresholds of Python's cyclic garbage collector in a crawl process and its helpers (gc.set_threshold;
# the helpers are given the crawl's value); [] keeps Python's (700, 10, 10), under which
# full collections took a third of a large crawl's CPU (crawler/heap.py).
SVEDEN_GC_THRESHOLDS: list[int] = list(_gc_thresholds)
# Progress of `sveden check` on stderr: "tty" (one line rewritten in place), "lines", or "" (none).
SVEDEN_CHECK_PROGRESS = ""

ITEM_PIPELINES: dict[str, int] = {}

# sveden's own limits per site.
SVEDEN_PAGE_BUDGET = 80  # HTML pages per site (home, section, subsections, addRef, feedback pages)
SVEDEN_PROBE_BUDGET = 300  # document links probed per site
SVEDEN_PROBE_OFFSITE = True  # documents on other hosts (CDN, ministry sites) are probed too
SVEDEN_ADDREF_LIMIT = 10  # MR v9: at most 10 addRef pages per subsection
SVEDEN_FEEDBACK_PAGES = 12
# itemprops whose links are documents to probe. The audits know them (link rules); the orchestration
# (``sveden.gather``) sets this from the rule catalogue, so the crawler never imports the checks.
SVEDEN_PROBE_ITEMPROPS: list[str] = []
# Link texts (regular expressions on normalized text) whose links, on any page read, are probed
# as documents: the НОКО plan and report, regional document rules. Set by ``sveden.gather`` too.
SVEDEN_PROBE_LINK_TEXTS: list[str] = []
# Paths on the site's host probed as pages (regional «page reachable» rules), set by ``sveden.gather``.
SVEDEN_PROBE_PATHS: list[str] = []
# CSS selectors matched on every page read (regional «element present» rules), set by ``sveden.gather``.
SVEDEN_PROBE_SELECTORS: list[str] = []
# Wall-clock budgets per site (seconds; 0 = none): past them, what was gathered is judged and
# the rest is «не проверено: исчерпан лимит времени на сайт».
SVEDEN_SITE_TIME_BUDGET = 300.0
SVEDEN_PROBE_TIME_BUDGET = 90.0  # of that, for document probes (tarpits fail fast)
SVEDEN_SITE_CONCURRENCY = 4  # requests of one site in flight at once (the slot still applies delays)
# At most this many organizations open at once in one crawl process (0: no bound but the downloader's
# room). Each open site holds its pages and documents until it ends: without a bound, a run whose
# reading is slower than its downloads opens every site of the region and its memory grows with it.
# A polite run keeps ≈ 50–100 open (politeness, not this, bounds it).
SVEDEN_SITES_IN_FLIGHT = 128
# At most this many organizations in the hands of one `sveden worker` (0: SVEDEN_SITES_IN_FLIGHT).
SVEDEN_WORKER_SITES = 0
# A monthly run starts last month's slowest sites first. Sites with no time from last month are first
# asked for their robots.txt, all at once (crawler/latency.py), and the slow ones start first:
# -1 (auto) when 20 or more of the run's organizations are new, 0 never, 1 whenever any is.
SVEDEN_LATENCY_PASS = -1
SVEDEN_LATENCY_PASS_TIMEOUT = 8.0  # seconds for each site's answer; no answer in time counts as the slowest

# Documents the items link to are downloaded and read (crawler/docfetch.py, crawler/documents.py):
# type by content, opens, encryption, PDF text layer, signatures. Within the probe time budget.
SVEDEN_DOCUMENTS = True  # false: HEAD probes only, as before
SVEDEN_DOCUMENT_MAX_BYTES = 15 * 1024 * 1024  # a larger document keeps its first bytes (its type), not its facts
SVEDEN_DOCUMENT_BUDGET = 60  # documents downloaded per site; the rest are HEAD-probed
SVEDEN_DOCUMENT_BYTES_BUDGET = 150 * 1024 * 1024  # bytes of documents per site
SVEDEN_DOCUMENT_TIME_BUDGET = 60.0  # seconds of document downloads per site (0 = none)
SVEDEN_DOCUMENT_CONCURRENCY = 6  # files being read at once in the whole process; downloads follow CONCURRENT_REQUESTS
# Reader processes (crawler.docread): another core for the reading, a crashing parser costs one document.
# 0: read in threads of the crawl process. -1 (auto): one for a lone crawl; none in a process of a
# shared (Redis) run, where a machine's cores are taken by one worker each (measured faster).
SVEDEN_DOCUMENT_PROCESSES = -1
# Page readers (crawler.pageread): the pages' reading on another core, off the reactor's thread.
# 0: read in the crawl process. -1 (auto): one for a lone crawl of 20 organizations or more; none
# for fewer (a reader's start costs a second) or in a process of a shared run.
SVEDEN_PAGE_PROCESSES = -1
# The store process (sveden.pipeline): judging and storing finished sites on another core. 0: in the
# crawl process. -1 (auto): as SVEDEN_DOCUMENT_PROCESSES, and only for runs of 20 organizations or more
# (a process costs a second of imports).
SVEDEN_STORE_PROCESS = -1
# Files downloaded and waiting to be read, in the whole process: past it, the next download waits (the
# waiting moves the site's time budgets on). Bounds the temporary files when reading is the bottleneck.
SVEDEN_DOCUMENT_BACKLOG = 24
SVEDEN_DOCUMENT_TEXT_PAGES = 30  # PDF pages read for the text layer
SVEDEN_DOCUMENT_TMPDIR = ""  # where documents wait for their analysis ("" = memory first, then the system's temporary directory)
# Memory for documents waiting to be read (/dev/shm, a tmpfs), in the whole process: this many times
# SVEDEN_DOCUMENT_MAX_BYTES, counted in the bytes written (so many more small documents); past it
# they wait on disk. 0: all on disk.
SVEDEN_DOCUMENT_RAM_FILES = 32
# The facts of last month's documents (a SQLite file written by the orchestration; "" = none).
SVEDEN_DOCUMENT_CACHE = ""
# itemprops whose documents must be signed electronically: a detached .sig/.p7s beside them is
# looked for even when not linked. Set by ``sveden.gather`` from the audits.
SVEDEN_SIGNED_ITEMPROPS: list[str] = []
# The site's own stylesheets read to tell hidden markup (order 1493 п.27): each fetched once per site.
SVEDEN_STYLESHEETS = 8  # per site (0: none; the pages' <style> and style attributes are read all the same)
SVEDEN_STYLESHEET_MAXSIZE = 1024 * 1024  # bytes; a larger stylesheet is left unread

# bus.gov.ru (crawler/spiders/busgov.py reads them; see its docstring).
SVEDEN_BUSGOV_BASE_URL = "https://bus.gov.ru"
SVEDEN_BUSGOV_DOWNLOAD_DELAY = 1.0
SVEDEN_BUSGOV_AUTOTHROTTLE = True
SVEDEN_BUSGOV_TIMEOUT = 30.0
SVEDEN_BUSGOV_RETRY_TIMES = 2
SVEDEN_BUSGOV_ROBOTSTXT_OBEY = True
SVEDEN_BUSGOV_VERIFY_TLS = False
SVEDEN_BUSGOV_YEAR = 0  # 0: this year
SVEDEN_BUSGOV_CARD_SOURCES: list[str] = ["compare", "agency_json"]
SVEDEN_BUSGOV_GIVE_UP_AFTER = 5
SVEDEN_BUSGOV_ORGS_IN_FLIGHT = 2
SVEDEN_BUSGOV_LOST_AFTER = 0.0  # 0: derived from the timeout, retries and delays


# Lower-case names: Scrapy takes every upper-case name of this module for a setting.
_true_words, _false_words = ("1", "true", "yes", "on", "да"), ("0", "false", "no", "off", "нет")
_own_environment = ("SVEDEN_CONTACT_URL", "SVEDEN_ALLOW_PRIVATE_ADDRESSES")  # read where they are defined, each in its own way


def environment_value(name: str, text: str, default: object) -> object:
    """``text`` of the environment variable ``name`` as a value of the type of ``default``;
    raises ValueError with a Russian message."""
    kind = type(default)
    if isinstance(default, bool):
        if text.strip().lower() in _true_words:
            return True
        if text.strip().lower() in _false_words:
            return False
        raise ValueError(f"переменная окружения {name}={text!r}: нужно true или false (1/0)")
    if isinstance(default, (int, float)):
        try:
            return kind(float(text)) if kind is float else int(text)
        except ValueError:
            raise ValueError(f"переменная окружения {name}={text!r}: нужно {'целое ' if kind is int else ''}число") from None
    if isinstance(default, (list, dict)):
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = None
        if not isinstance(value, kind):
            example = '["a", "b"]' if kind is list else '{"a": 1}'
            raise ValueError(f"переменная окружения {name}={text!r}: нужен JSON-{'список' if kind is list else 'объект'}, например {example}")
        return value
    return text


def from_environment(namespace: dict[str, object], environ: dict[str, str] | None = None) -> list[str]:
    """Replace each ``SVEDEN_*`` default of ``namespace`` set in the environment; returns the
    problems (Russian) of values that do not fit — those settings keep their defaults, and
    ``crawler.runner.validate_settings`` refuses to crawl with them."""
    environ = os.environ if environ is None else environ
    problems = []
    for name, default in list(namespace.items()):
        if not name.startswith("SVEDEN_") or name in _own_environment or name not in environ or callable(default):
            continue
        try:
            namespace[name] = environment_value(name, environ[name], default)
        except ValueError as exc:
            problems.append(str(exc))
    return problems


environment_problems = from_environment(globals())
