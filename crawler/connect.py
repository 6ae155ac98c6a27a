"""Fail fast on connect, patiently on slow bodies (issue 19: timeouts for dead sites).

Scrapy's HTTP/1.1 handler connects with ``DOWNLOAD_TIMEOUT`` as the connect timeout, and
``RetryMiddleware`` retries a connect that timed out: a dead host (a server that never accepts)
cost a site 2 × 20 s before it was «не проверен». Here a new connection gives up after
``SVEDEN_CONNECT_TIMEOUT`` seconds (TCP has resent its SYN three times by then), as
:class:`ConnectTimeoutError`, which is not in ``RETRY_EXCEPTIONS``: a host that did not accept a
connection in that time is not asked again by the retry. A connected server still has the whole
``DOWNLOAD_TIMEOUT`` (per request: ``download_timeout``) for its answer, and politeness per site is
untouched: the same requests, the same slots and delays.
"""

from __future__ import annotations

import logging

from scrapy import Request
# Scrapy's private HTTP/1.1 agent and helpers: pyproject pins Scrapy's minor version for them.
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler, _ScrapyAgent
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadTimeoutError, ResponseDataLossError
from scrapy.http import Response
from scrapy.utils._download_handlers import get_dataloss_msg, wrap_twisted_exceptions
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.error import TCPTimedOutError, TimeoutError as UserTimeoutError

log = logging.getLogger(__name__)


class ConnectTimeoutError(Exception):
    """The server did not accept the connection within ``SVEDEN_CONNECT_TIMEOUT`` (not retried)."""


class _Agent(_ScrapyAgent):
    connect_timeout = float("inf")

    def _get_agent(self, request: Request, timeout: float):
        # Scrapy passes the download timeout as the connect timeout; the body keeps the download timeout.
        return super()._get_agent(request, min(timeout, self.connect_timeout))


class QuickConnectHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler with a connect timeout of its own (``DOWNLOAD_HANDLERS``)."""

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        # 0: the download timeout, as in Scrapy's own handler.
        self.connect_timeout = crawler.settings.getfloat("SVEDEN_CONNECT_TIMEOUT") or float("inf")

    async def download_request(self, request: Request) -> Response:
        agent = _Agent(contextFactory=self._contextFactory, bindAddress=self._bind_address, pool=self._pool,
                       maxsize=self._default_maxsize, warnsize=self._default_warnsize, fail_on_dataloss=self._fail_on_dataloss,
                       crawler=self._crawler, tls_verbose_logging=self._tls_verbose_logging)
        agent.connect_timeout = self.connect_timeout
        try:
            with wrap_twisted_exceptions():
                return await maybe_deferred_to_future(agent.download_request(request))
        except ResponseDataLossError:
            if not self._fail_on_dataloss_warned:
                self._fail_on_dataloss_warned = True
                log.warning(get_dataloss_msg(request.url))
            raise
        except (DownloadTimeoutError, TCPTimedOutError) as exc:
            # Twisted's connector fails with its user TimeoutError (Scrapy wraps it); a slow answer is
            # Scrapy's own DownloadTimeoutError, raised with no Twisted cause.
            if isinstance(exc, TCPTimedOutError) or isinstance(exc.__cause__, UserTimeoutError):
                raise ConnectTimeoutError(f"connect timed out: {request.url}") from exc
            raise
