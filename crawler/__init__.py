"""The Scrapy project: gatherers of site and bus.gov.ru artifacts (no verdicts, no storage)."""

from crawler.offline import use_bundled_suffix_list

use_bundled_suffix_list()
