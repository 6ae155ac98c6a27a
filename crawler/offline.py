"""No library fetches data at run time: nothing may reach the internet unless a site being checked is there.

Scrapy's cookie middleware asks tldextract for the Public Suffix List, which by default is
downloaded on first use (and, offline, fails with a long traceback before falling back). The
list bundled with tldextract is used instead, and nothing is cached on disk.
"""

from __future__ import annotations


def use_bundled_suffix_list() -> None:
    from scrapy.downloadermiddlewares import cookies
    from tldextract import TLDExtract

    cookies._split_domain = TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True, include_psl_private_domains=True)
