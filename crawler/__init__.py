"""The Scrapy project: gatherers of site and bus.gov.ru artifacts (no verdicts, no storage).

Importing the package imports no Scrapy: the helper processes of a crawl (page and document readers)
import only their readers. The project's settings module (crawler/settings.py) makes the crawl offline.
"""
