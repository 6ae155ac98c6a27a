"""The self-check page: a form, the progress of a check, its report with JSON and PDF downloads,
the rule catalogue, an organization's history, and the JSON API (``/api/checks``, OpenAPI at
``/api/openapi.json``). Checks run in ``sveden.web.pool``; nothing of a site is rendered unescaped."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from contextlib import asynccontextmanager
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel, Field

from checks.model import OrgType
from sveden.web import security
from sveden.web.config import WebConfig
from sveden.web.history import Registry, org_history, site_key
from sveden.web.limits import Window, minutes
from sveden.web.pool import CheckPool, Job, QueueFull
from sveden.web.targets import crawl_policy, refusal

log = logging.getLogger("sveden.web")
HERE = Path(__file__).resolve().parent
ORG_TYPE_TITLES = {
    "school": "школа", "kindergarten": "детский сад", "college": "колледж (СПО)", "university": "вуз",
    "additional": "дополнительное образование", "dpo": "дополнительное профессиональное образование",
}
STATE_TITLES = {"queued": "в очереди", "running": "идёт проверка", "done": "готово", "failed": "не проверено"}


class Refused(Exception):
    """A check not started: HTTP status, a machine-readable reason and the Russian message."""

    def __init__(self, status: int, reason: str, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.retry_after = retry_after


class CheckRequest(BaseModel):
    url: str = Field(max_length=2048, description="Адрес сайта (главная страница); без протокола проверяется https://, затем http://")
    org_type: OrgType | None = Field(default=None, description="Тип организации; не указан — определяется по названию на сайте")


class ApiError(BaseModel):
    error: str = Field(description="bad_url, bad_request, forbidden_address, client_limit, client_rate, host_limit, queue_full, not_found")
    message: str = Field(description="Причина по-русски")


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ApiError, "description": "Неверный адрес сайта"},
    403: {"model": ApiError, "description": "Адрес ведёт во внутреннюю сеть (forbidden_address)"},
    422: {"model": ApiError, "description": "Неверный запрос (поля url, org_type)"},
    429: {"model": ApiError, "description": "Превышен лимит: проверок с адреса клиента, запросов или проверок одного сайта за час"},
    503: {"model": ApiError, "description": "Очередь проверок заполнена"},
}


class CheckProgressOut(BaseModel):
    pages: int = 0
    documents: int = 0
    section: str = ""
    section_no: int = 0
    sections_total: int = 0


class CheckStatus(BaseModel):
    id: str
    url: str
    state: str = Field(description="queued, running, done или failed")
    state_title: str
    position: int = Field(description="Место в очереди (1 — следующая); 0, когда проверка не ждёт")
    progress: CheckProgressOut
    message: str = Field(description="Почему сайт не проверен (state=failed)")
    reachable: bool | None = None
    links: dict[str, str]
    result: dict[str, Any] | None = Field(default=None, description="JSON проверки, как у `sveden check --format json` (state=done)")


@cache
def templates() -> Environment:
    from reports.render import ru_datetime, safe_href, status_title

    env = Environment(loader=PackageLoader("sveden.web", "templates"), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(status_title=status_title, dt=ru_datetime, href=safe_href)
    env.globals.update(ORG_TYPE_TITLES=ORG_TYPE_TITLES, STATE_TITLES=STATE_TITLES)
    return env


def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(templates().get_template(name).render(**context), status_code=status)


def create_app(config: WebConfig | None = None) -> FastAPI:
    config = config or WebConfig.from_environment()
    folder = config.folder or Path(tempfile.mkdtemp(prefix="sveden-web-"))
    pool = CheckPool(config.workers, folder, max_queue=config.max_queue, keep=config.keep_jobs,
                     crawl_settings=list(config.crawl_settings), store=config.store,
                     env={"SVEDEN_WEB_CHECK_TIMEOUT": str(config.check_timeout)})
    client_checks = Window(config.client_checks_per_hour, 3600)
    client_requests = Window(config.client_requests_per_minute, 60)
    host_checks = Window(config.host_checks_per_hour, 3600)
    policy = crawl_policy()
    registry = Registry()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await pool.start()
        try:
            yield
        finally:
            await pool.stop()

    app = FastAPI(
        title="sveden: самопроверка сайта образовательной организации",
        description="Проверка раздела «Сведения об образовательной организации» одного сайта: тот же отчёт, что у `sveden check`.",
        version="1",
        lifespan=lifespan,
        docs_url=None, redoc_url=None,  # their scripts come from a CDN: the page stays offline and under its CSP
        openapi_url="/api/openapi.json",
    )
    app.state.pool = pool
    app.state.config = config
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def client_of(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    @app.middleware("http")
    async def request_limit(request: Request, call_next):
        client = client_of(request)
        wait = client_requests.wait(client)
        if wait > 0:
            return refusal_response(request, Refused(429, "client_rate", "Слишком много запросов с вашего адреса; подождите минуту.", wait))
        client_requests.hit(client)
        return await call_next(request)

    # Added last, so outermost: every answer gets the security headers, refusals of the limits too.
    app.add_middleware(security.Guard, max_body=config.max_body)

    async def start_check(request: Request, url: str, org_type: str | None) -> Job:
        from sveden.checking import CheckInputError, normalize_url

        client = client_of(request)
        wait = client_checks.wait(client)
        if wait > 0:
            raise Refused(429, "client_limit", f"С вашего адреса уже начато {config.client_checks_per_hour} проверок за час; "
                          f"следующую можно начать {minutes(wait)}.", wait)
        url = (url or "").strip()
        if not url:
            raise Refused(400, "bad_url", "Укажите адрес сайта, например school1.ru.")
        try:
            normalized = normalize_url(url)
        except CheckInputError as exc:
            raise Refused(400, "bad_url", str(exc)) from None
        reason = await refusal(normalized, policy)
        if reason:
            raise Refused(403, "forbidden_address", f"Сайт не проверен: {reason}.")
        host = site_key(normalized).split("/")[0]
        wait = host_checks.wait(host)
        if wait > 0:
            raise Refused(429, "host_limit", f"Сайт {host} уже проверяли {config.host_checks_per_hour} раз за последний час — "
                          f"чтобы не перегружать его, следующая проверка возможна {minutes(wait)}.", wait)
        try:
            job = pool.submit(url, org_type, host)
        except QueueFull:
            raise Refused(503, "queue_full", "Очередь проверок заполнена; попробуйте через несколько минут.", 60) from None
        client_checks.hit(client)
        host_checks.hit(host)
        return job

    def refusal_response(request: Request, exc: Refused) -> Response:
        headers = {"Retry-After": str(max(1, round(exc.retry_after)))} if exc.retry_after else {}
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": exc.reason, "message": exc.message}, status_code=exc.status, headers=headers)
        response = page("error.html.j2", exc.status, title="Проверка не начата", message=exc.message)
        response.headers.update(headers)
        return response

    def form_page(request: Request, status: int = 200, error: str = "", url: str = "", org_type: str = "") -> HTMLResponse:
        nonce = request.cookies.get(security.CSRF_COOKIE) or security.new_nonce()
        response = page("index.html.j2", status, token=security.csrf_token(config.secret, nonce), error=error, url=url,
                        org_type=org_type, org_types=[t.value for t in OrgType], config=config,
                        busy=pool.running(), waiting=len(pool.waiting))
        response.set_cookie(security.CSRF_COOKIE, nonce, httponly=True, samesite="strict", secure=request.url.scheme == "https")
        return response

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index(request: Request):
        return form_page(request)

    @app.post("/checks", include_in_schema=False)
    async def submit_form(request: Request, url: str = Form("", max_length=2048), org_type: str = Form("", max_length=40),
                          csrf: str = Form("", max_length=200)):
        if not security.csrf_valid(config.secret, request.cookies.get(security.CSRF_COOKIE), csrf):
            return page("error.html.j2", 403, title="Форма устарела",
                        message="Форма устарела или отправлена с другого сайта: откройте страницу проверки заново и отправьте адрес ещё раз.")
        if org_type and org_type not in ORG_TYPE_TITLES:
            return form_page(request, 400, error=f"Неизвестный тип организации «{org_type}».", url=url)
        try:
            job = await start_check(request, url, org_type or None)
        except Refused as exc:
            response = form_page(request, exc.status, error=exc.message, url=url, org_type=org_type)
            if exc.retry_after:
                response.headers["Retry-After"] = str(max(1, round(exc.retry_after)))
            return response
        return RedirectResponse(f"/checks/{job.id}", status_code=303)

    def job_or_404(job_id: str) -> Job:
        job = pool.get(job_id)
        if job is None:
            raise NotFound
        return job

    def status_of(job: Job, with_result: bool) -> dict[str, Any]:
        base = f"/checks/{job.id}"
        return {
            "id": job.id, "url": job.url, "state": job.state, "state_title": STATE_TITLES[job.state],
            "position": pool.position(job), "progress": CheckProgressOut(**job.progress).model_dump(),
            "message": job.message, "reachable": job.reachable,
            "links": {"page": base, "report": f"{base}/report.html", "json": f"{base}.json", "pdf": f"{base}.pdf", "api": f"/api{base}"},
            "result": job.result() if with_result else None,
        }

    # The downloads first: "/checks/{job_id}" would take "ID.json" for an ID.
    @app.get("/checks/{job_id}/report.html", response_class=HTMLResponse, include_in_schema=False)
    async def job_report(job_id: str):
        job = job_or_404(job_id)
        path = job.folder / "report.html"
        if job.state != "done" or not path.exists():
            raise NotFound
        return HTMLResponse(path.read_text(encoding="utf-8"))

    @app.get("/checks/{job_id}.json", include_in_schema=False)
    async def job_json(job_id: str):
        job = job_or_404(job_id)
        if job.state != "done":
            raise NotFound
        return FileResponse(job.folder / "result.json", media_type="application/json", filename=f"sveden-{job.host}.json")

    @app.get("/checks/{job_id}.pdf", include_in_schema=False)
    async def job_pdf(job_id: str):
        job = job_or_404(job_id)
        result = job.result()
        if result is None:
            raise NotFound
        path = job.folder / "report.pdf"
        if not path.exists():
            try:
                await asyncio.to_thread(write_pdf, result, path)
            except Exception as exc:  # noqa: BLE001 - WeasyPrint missing or failing: said, not a 500 page
                log.warning("PDF not rendered: %s", exc)
                return page("error.html.j2", 503, title="PDF недоступен", message="PDF-версию отчёта сейчас получить не удалось; HTML-отчёт и JSON доступны.")
        return FileResponse(path, media_type="application/pdf", filename=f"sveden-{job.host}.pdf")

    @app.get("/checks/{job_id}", response_class=HTMLResponse, include_in_schema=False)
    async def job_page(job_id: str):
        job = job_or_404(job_id)
        result = job.result()
        org = None
        if result is not None:
            try:
                org = registry.find(result.get("url") or job.url)
            except Exception as exc:  # noqa: BLE001 - no database is no history link, never a broken page
                log.warning("registry lookup failed: %s", exc)
        return page("check.html.j2", job=job, info=status_of(job, False), result=result, org=org)

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon():
        return Response(status_code=204)

    @app.post("/api/checks", status_code=202, response_model=CheckStatus, responses=ERRORS)
    async def api_submit(request: Request, body: CheckRequest) -> Any:
        """Начать проверку сайта. Ответ — состояние проверки; дальше — GET /api/checks/{id}."""
        try:
            job = await start_check(request, body.url, body.org_type.value if body.org_type else None)
        except Refused as exc:
            return refusal_response(request, exc)
        return JSONResponse(status_of(job, False), status_code=202, headers={"Location": f"/api/checks/{job.id}"})

    @app.get("/api/checks/{job_id}", response_model=CheckStatus, responses={404: {"model": ApiError, "description": "Проверка не найдена"}, 429: ERRORS[429]})
    async def api_status(job_id: str) -> Any:
        """Состояние проверки: место в очереди, ход (страницы, подраздел), результат, когда готов."""
        return status_of(job_or_404(job_id), True)

    @app.get("/healthz", include_in_schema=False)
    async def health():
        """For the reverse proxy and the operator: workers ready, checks running and waiting."""
        return {"workers": pool.size, "ready": sum(1 for w in pool.workers if w.ready.is_set()),
                "running": pool.running(), "waiting": len(pool.waiting)}

    @app.get("/rules", response_class=HTMLResponse, include_in_schema=False)
    async def rules_page():
        from checks import catalogue, docs

        groups: dict[str, list[dict[str, Any]]] = {}
        for audit in catalogue.audits():
            data = docs.rule_json(audit)
            heading = data.get("section_title") or docs.GROUP_TITLES.get(audit.group, audit.group)
            groups.setdefault(heading, []).append(data)
        return page("rules.html.j2", groups=groups, version=catalogue.rules_version())

    @app.get("/rules/{code}", response_class=HTMLResponse, include_in_schema=False)
    async def rule_page(code: str):
        from checks import catalogue, docs

        audit = catalogue.by_code().get(code.strip().upper())
        if audit is None:
            raise NotFound
        return page("rule.html.j2", rule=docs.rule_json(audit), text=docs.render_text(audit))

    @app.get("/orgs/{org_id}", response_class=HTMLResponse, include_in_schema=False)
    async def org_page(org_id: str):
        found = await asyncio.to_thread(org_history, org_id)
        if found is None:
            raise NotFound
        org, months = found
        return page("history.html.j2", org=org, months=months)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        fields = sorted({".".join(str(p) for p in e.get("loc", ())[1:]) or "тело" for e in exc.errors()})
        return JSONResponse({"error": "bad_request", "message": f"неверный запрос: проверьте поля {', '.join(fields)} "
                             "(url — адрес сайта не длиннее 2048 символов, org_type — тип организации)"}, status_code=422)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "not_found", "message": "Проверка не найдена (адрес устарел или набран с ошибкой)."}, status_code=404)
        return page("error.html.j2", 404, title="Не найдено", message="Такой страницы нет: адрес проверки устарел или набран с ошибкой.")

    return app


class NotFound(Exception):
    pass


def write_pdf(result: dict[str, Any], path: Path) -> None:
    from reports.pdf import write_pdf as render
    from reports.school import render_html

    render(render_html(result, for_pdf=True), path)
