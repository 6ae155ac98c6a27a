"""``sveden serve``: the self-check web page (FastAPI, Jinja2) and its bounded pool of check workers.

- ``app.py``: the routes (form, progress, report, rule catalogue, JSON API with OpenAPI);
- ``pool.py``: the queue and the warm worker processes; ``worker.py``: one worker, a forked child per check;
- ``targets.py``: which addresses are refused before queueing (SSRF, with the crawler's own policy);
- ``limits.py``, ``security.py``: rate limits, CSRF, request size, security headers;
- ``config.py``: every ``SVEDEN_WEB_*`` setting.
"""
