"""How long a one-site check makes someone wait: `sveden check` and the web page (`sveden serve`).

    .venv/bin/python bench/check_speed.py [--repeat 5] [--json] [--skip-real] [--skip-polite]

Medians of ``--repeat`` runs, every site served from this process on 127.0.0.1:
- a 20-page site with 40 documents: `sveden check URL --format json --no-store` wall time (target ≤ 3 s),
  and the same kept in a new SQLite database (the default `--store`; its first run creates the schema),
  and the web page's submit-to-report time with a warm worker (`POST /api/checks` until the report is
  ready, target ≤ 1.5 s);
- the real university pages of ../shared/real-sites/spbgasu-2019 (hundreds of document links; the
  site's own and its document host's links point at two loopback servers): `sveden check` (target ≤ 20 s);
- baselines measured in the same run: Python's start-up of the CLI (`sveden --help`) and, once, the
  20-page check with the polite monthly profile (`--profile polite`), with the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))
REAL = REPO.parent / "shared" / "real-sites" / "spbgasu-2019"
ENV = {**os.environ, "SVEDEN_ALLOW_PRIVATE_ADDRESSES": "1", "SVEDEN_REGIONAL_RULES": ""}


class Site(BaseHTTPRequestHandler):
    """Routes by path; any other path is a small PDF (documents of real pages live anywhere)."""

    routes: dict[str, tuple[bytes, str]] = {}
    pdf = b""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def answer(self, body: bool) -> None:
        path = self.path.split("?")[0].split("#")[0]
        payload, ctype = self.routes.get(path) or (self.pdf, "application/pdf")
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if body:
            self.wfile.write(payload)

    def do_GET(self):
        self.answer(True)

    def do_HEAD(self):
        self.answer(False)


@contextmanager
def serve(routes: dict[str, tuple[bytes, str]], host: str = "127.0.0.1"):
    from testbed.documents import text_pdf

    handler = type("Handler", (Site,), {"routes": routes, "pdf": text_pdf(["A document", "with a text layer"])})
    server = ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()


def twenty_pages() -> dict[str, tuple[bytes, str]]:
    """The compliant school of the tests, 20 HTML pages, its document links spread over 40 documents."""
    from compliant import compliant_site

    from checks.model import OrgType

    routes = compliant_site(OrgType.school)
    out: dict[str, tuple[bytes, str]] = {}
    counter = iter(range(10_000))
    for path, route in routes.items():
        body = route.payload()
        if route.content_type.startswith("text/html"):
            body = re.sub(rb"/docs/doc\.pdf", lambda _m: f"/docs/d{next(counter) % 40}.pdf".encode(), body)
        out[path] = (body, route.content_type)
    # More documents than the compliant site links: further acts of «Документы» (one item may list several).
    from checks import catalogue
    from checks.model import Kind

    act = next(r for r in catalogue.section_rules()["document"] if r.kind is Kind.link and not r.parent and not r.optional)
    linked = len(set(re.findall(rb"/docs/d\d+\.pdf", b"".join(body for body, _ in out.values()))))
    extra = "".join(f'<p><a itemprop="{act.itemprop}" href="/docs/d{n}.pdf">Документ {n}</a></p>' for n in range(linked, 40))
    body, ctype = out["/sveden/document/"]
    out["/sveden/document/"] = (body.replace(b"</body>", extra.encode() + b"</body>"), ctype)
    news = "".join(f'<a href="/news/{n}/">Новость {n}</a>' for n in range(4))
    home, ctype = out["/"]
    out["/"] = (home.replace(b"</body>", news.encode() + b"</body>"), ctype)
    for n in range(4):
        out[f"/news/{n}/"] = (f"<html><body><h1>Новость {n}</h1></body></html>".encode(), "text/html; charset=utf-8")
    pages = sum(1 for _, (_, t) in out.items() if t.startswith("text/html"))
    assert pages == 20, pages
    return out


def real_pages(site: str, docs: str) -> dict[str, tuple[bytes, str]]:
    slugs = sorted(p.stem for p in REAL.glob("*.html"))
    index = "".join(f'<a href="/sveden/{s}/">{s}</a>' for s in slugs)
    routes = {"/": ('<html><body><a href="/sveden/">Сведения об образовательной организации</a></body></html>'.encode(), "text/html; charset=utf-8"),
              "/sveden/": (f"<html><body>{index}</body></html>".encode(), "text/html; charset=utf-8")}
    for s in slugs:
        body = (REAL / f"{s}.html").read_bytes()
        body = re.sub(rb"https?://www\.spbgasu\.ru", site.encode(), body)
        body = body.replace(b"http://doc.spbgasu.ru", docs.encode())
        routes[f"/sveden/{s}/"] = (body, "text/html")
    return routes


CPU: list[float] = []  # CPU seconds (user + system) of each command run, beside its wall time


def timed(args: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "sveden.cli", *args], capture_output=True, text=True, cwd=REPO, env=ENV)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall, proc


def check(url: str, *extra: str) -> tuple[float, dict]:
    seconds, proc = timed(["check", url, "--format", "json", "--no-store", *extra])
    print(f"  sveden check {url} {' '.join(extra)}: {seconds:.2f} s", file=sys.stderr)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"sveden check {url} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return seconds, json.loads(proc.stdout)


def web_times(url: str, repeat: int) -> list[float]:
    """Submit-to-report through the JSON API of a running `sveden serve` with one warm worker."""
    import httpx
    from webkit import web_server

    with tempfile.TemporaryDirectory() as tmp:
        env = {"SVEDEN_WEB_STORE": "0", "SVEDEN_WEB_HOST_CHECKS_PER_HOUR": "1000", "SVEDEN_WEB_CLIENT_REQUESTS_PER_MINUTE": "100000",
               "SVEDEN_ALLOW_PRIVATE_ADDRESSES": "1"}
        with web_server(Path(tmp), "--workers", "1", env=env) as base, httpx.Client(base_url=base) as c:
            times = []
            for _ in range(repeat):
                while c.get("/healthz").json()["running"]:  # the previous check's child is still storing
                    time.sleep(0.01)
                started = time.perf_counter()
                job = c.post("/api/checks", json={"url": url}).json()["id"]
                while c.get(f"/api/checks/{job}").json()["state"] not in ("done", "failed"):
                    time.sleep(0.02)
                times.append(time.perf_counter() - started)
                print(f"  web page, submit to report: {times[-1]:.2f} s", file=sys.stderr)
                time.sleep(0.3)  # the worker is free again once its child has exited
            return times


def warm_child_cpu(url: str, repeat: int) -> list[float]:
    """CPU seconds of a check in a child forked from a warm worker (what the web page pays per check)."""
    from sveden.web.worker import warm_up

    os.environ.update(ENV)
    warm_up()
    times = []
    for _ in range(repeat):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: one check, its CPU time to the parent
            code = 1
            try:
                from sveden.checking import run_check

                run_check(url, None, settings=["SVEDEN_PROFILE=interactive"])
                usage = resource.getrusage(resource.RUSAGE_SELF)
                os.write(write, f"{usage.ru_utime + usage.ru_stime}".encode())
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        os.waitpid(pid, 0)
        times.append(float(os.read(read, 64) or "nan"))  # a forked child's usage starts at zero (Linux)
        os.close(read)
        print(f"  warm worker's child, CPU of one check: {times[-1]:.2f} s", file=sys.stderr)
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--skip-real", action="store_true", help="leave out the real university pages")
    ap.add_argument("--skip-polite", action="store_true", help="leave out the polite-profile baseline")
    args = ap.parse_args()
    figures: dict[str, object] = {"repeat": args.repeat}
    figures["load_average_at_start"] = os.getloadavg()[0]  # on a shared machine wall times grow with it; CPU times do not
    startup = [timed(["--help"])[0] for _ in range(args.repeat)]
    figures["startup_s"] = statistics.median(startup)
    figures["startup_cpu_s"] = statistics.median(CPU[-args.repeat:])
    site_routes = twenty_pages()
    figures["check_20_pages_documents"] = len(set(re.findall(rb"/docs/d\d+\.pdf", b"".join(body for body, _ in site_routes.values()))))
    with serve(site_routes) as site:
        runs = [check(site + "/") for _ in range(args.repeat)]
        figures["check_20_pages_s"] = statistics.median(s for s, _ in runs)
        figures["check_20_pages_cpu_s"] = statistics.median(CPU[-args.repeat:])
        result = runs[-1][1]
        figures["check_20_pages_counts"] = result["counts"]
        with tempfile.TemporaryDirectory() as tmp:  # the default: the check kept in the database (SQLite)
            ENV["SVEDEN_DATABASE_URL"] = f"sqlite:///{tmp}/checks.sqlite"
            try:
                stored = []
                for _ in range(args.repeat):
                    seconds, proc = timed(["check", site + "/", "--format", "json"])
                    if proc.returncode not in (0, 1) or "Проверка сохранена" not in proc.stderr:
                        raise SystemExit(f"sveden check (stored) failed ({proc.returncode}): {proc.stderr[-2000:]}")
                    stored.append(seconds)
            finally:
                del ENV["SVEDEN_DATABASE_URL"]
        figures["check_20_pages_stored_s"] = statistics.median(stored)
        if not args.skip_polite:
            figures["check_20_pages_polite_s"] = check(site + "/", "--profile", "polite")[0]
        figures["web_submit_to_report_s"] = statistics.median(web_times(site + "/", args.repeat))
        figures["web_check_cpu_s"] = statistics.median(warm_child_cpu(site + "/", args.repeat))
    if not args.skip_real and REAL.is_dir():
        with serve({}, "127.0.0.2") as docs:  # the document host: every path is a PDF
            routes: dict[str, tuple[bytes, str]] = {}
            with serve(routes) as site:  # the pages name their own origin: filled in once it is known
                routes.update(real_pages(site, docs))
                real = [check(site + "/", "--type", "university") for _ in range(args.repeat)]
        figures["check_real_university_s"] = statistics.median(s for s, _ in real)
        figures["check_real_university_cpu_s"] = statistics.median(CPU[-args.repeat:])
        figures["check_real_university_counts"] = real[-1][1]["counts"]
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    s = figures["startup_s"]
    print(f"load average at start: {figures['load_average_at_start']:.1f} (2 cores: wall times grow with it, CPU times do not)")
    print(f"start-up baseline (sveden --help): median {s:.2f} s wall, {figures['startup_cpu_s']:.2f} s CPU")
    c = figures["check_20_pages_s"]
    print(f"sveden check, 20 pages + {figures['check_20_pages_documents']} documents, interactive profile: median {c:.2f} s "
          f"(target ≤ 3 s), {figures['check_20_pages_cpu_s']:.2f} s CPU; ratio to start-up {c / s:.2f}")
    print(f"  the same, kept in the database (the default; SQLite): median {figures['check_20_pages_stored_s']:.2f} s")
    if "check_20_pages_polite_s" in figures:
        p = figures["check_20_pages_polite_s"]
        print(f"  the same with the polite monthly profile (one run): {p:.2f} s, {p / c:.1f}× the interactive")
    print(f"web page, submit to report with a warm worker: median {figures['web_submit_to_report_s']:.2f} s (target ≤ 1.5 s), "
          f"a check in the warm worker's child {figures['web_check_cpu_s']:.2f} s CPU")
    if "check_real_university_s" in figures:
        print(f"sveden check, real university pages (spbgasu-2019): median {figures['check_real_university_s']:.2f} s (target ≤ 20 s), "
              f"{figures['check_real_university_cpu_s']:.2f} s CPU")


if __name__ == "__main__":
    main()
