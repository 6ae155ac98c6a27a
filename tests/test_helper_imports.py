"""A crawl's helper processes start beside a crawl process that is starting too: they import their
own work only, never Scrapy and Twisted (a third of a CPU second each) or the suffix list."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_helpers_modules_import_no_scrapy():
    # What a spawned helper unpickles: its call loop, the page and document readers, the store.
    code = ("import sys, crawler.helperpipe, crawler.childprocs, crawler.pageread, crawler.docread, crawler.heap, sveden.store\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'scrapy', 'twisted', 'tldextract', 'itemadapter'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True).stdout
    assert out.strip() == "[]"


def test_a_crawl_still_uses_the_bundled_suffix_list():
    # The project's settings module, loaded by every crawl, swaps the cookie middleware's list.
    code = ("from crawler.runner import project_settings\nproject_settings({})\n"
            "from scrapy.downloadermiddlewares import cookies\n"
            "print(cookies._split_domain.suffix_list_urls, cookies._split_domain.fallback_to_snapshot)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True).stdout
    assert out.strip() == "() True"
