"""Scrapy settings of sveden: polite defaults for crawling thousands of school sites.

Every value can be overridden per run (``sveden crawl --set KEY=VALUE``, ``-s`` in scrapy).
"""

BOT_NAME = "sveden"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

import os

from crawler.addresses import env_allows

# Honest identification with a contact page (school administrators do look at their logs):
# the operating centre sets its own page in SVEDEN_CONTACT_URL.
SVEDEN_CONTACT_URL = os.environ.get("SVEDEN_CONTACT_URL", "https://github.com/sveden-project/sveden#contact")
USER_AGENT = f"sveden/0.1 (+{SVEDEN_CONTACT_URL}; compliance checker of /sveden/ sections)"

ROBOTSTXT_OBEY = True

# Politeness: many sites at once, each gently (per-host slots, AutoThrottle).
CONCURRENT_REQUESTS = 64
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
DOWNLOAD_DELAY_JITTER = 0  # determinism: same sites, same schedule
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 10.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.5

# Never hang: timeouts, bounded retries, bounded redirects, bounded bodies.
DOWNLOAD_TIMEOUT = 20
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

EXTENSIONS = {
    "crawler.extensions.ProbeHeadersOnly": 500,
    "crawler.progress.CheckProgress": 600,  # off unless SVEDEN_CHECK_PROGRESS is set
}
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
# Wall-clock budgets per site (seconds; 0 = none): past them, what was gathered is judged and
# the rest is «не проверено: исчерпан лимит времени на сайт».
SVEDEN_SITE_TIME_BUDGET = 300.0
SVEDEN_PROBE_TIME_BUDGET = 90.0  # of that, for document probes (tarpits fail fast)
SVEDEN_SITE_CONCURRENCY = 4  # requests of one site in flight at once (the slot still applies delays)
