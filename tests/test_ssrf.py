"""SSRF protection: internal addresses are refused before any connection (crawler/ssrf.py).

Everything stays on the machine. Crawls run as subprocesses with SVEDEN_ALLOW_PRIVATE_ADDRESSES
removed from their environment and a tripwire installed in them: every connect() and name lookup
of the crawl process is written down, a connection to anything outside loopback is refused on
the spot (it never leaves the machine) and no name reaches a real DNS server (test names are
mapped: a public-looking name resolving to 127.0.0.1 or to 10.0.0.5). Forbidden loopback
listeners count the connections they accept: the count must stay 0.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from crawlkit import FAST
from sitekit import Route, page, redirect, serve

from crawler.addresses import ENV_ALLOW, AddressPolicy, env_allows, is_forbidden, private_host, refusal_message
from crawler.errors import classify_exception

REPO = Path(__file__).resolve().parents[1]

# Runs a module (sys.argv[1]) with a tripwire on connect() and name lookups.
TRIPWIRE = r"""
import errno, ipaddress, json, os, runpy, socket, sys

LOG = os.environ["SVEDEN_TEST_TRIPWIRE_LOG"]
NAMES = json.loads(os.environ.get("SVEDEN_TEST_NAMES", "{}"))


def note(kind, value):
    with open(LOG, "a", encoding="utf-8") as fh:
        fh.write(json.dumps([kind, value]) + "\n")


def loopback(host):
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def local_name(name):
    return name == "localhost" or all(c.isdigit() or c == "." for c in name)


_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex


def connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        note("connect", [address[0], address[1]])
        if not loopback(address[0]):
            return errno.ECONNREFUSED  # refused here: nothing is sent
    return _connect_ex(self, address)


def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        note("connect", [address[0], address[1]])
        if not loopback(address[0]):
            raise ConnectionRefusedError(errno.ECONNREFUSED, "tripwire")
    return _connect(self, address)


_gethostbyname, _getaddrinfo = socket.gethostbyname, socket.getaddrinfo


def gethostbyname(name):
    note("resolve", name)
    if name in NAMES:
        return NAMES[name]
    if local_name(name):
        return _gethostbyname(name)
    raise socket.gaierror(socket.EAI_NONAME, "tripwire: no DNS in tests")


def getaddrinfo(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    if name is not None and not loopback(name) and not local_name(name):
        note("resolve", name)
        if name not in NAMES:
            raise socket.gaierror(socket.EAI_NONAME, "tripwire: no DNS in tests")
        host = NAMES[name]
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
socket.gethostbyname, socket.getaddrinfo = gethostbyname, getaddrinfo
module = sys.argv[1]
sys.argv = [module, *sys.argv[2:]]
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""
NAMES = {"school-site.ru": "127.0.0.1", "intranet-school.ru": "10.0.0.5"}


class Listener:
    """A loopback listener that counts the connections it accepts (and answers a small page)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.accepted = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        body = b"<html><body><p>internal</p></body></html>"
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
                                 b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                except OSError:
                    pass

    def __enter__(self) -> Listener:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()


def guarded_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of a crawl with the protection ON (the switch removed) and the tripwire's files."""
    env = {k: v for k, v in os.environ.items() if k != ENV_ALLOW}
    env.update(SVEDEN_TEST_TRIPWIRE_LOG=str(tmp / "tripwire.jsonl"), SVEDEN_TEST_NAMES=json.dumps(NAMES), **extra)
    return env


def run_tripwired(module: str, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", TRIPWIRE, module, *args], capture_output=True, text=True, cwd=REPO, env=env, timeout=300)


def tripwire_log(tmp: Path) -> list[tuple[str, object]]:
    path = tmp / "tripwire.jsonl"
    return [tuple(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def gather(tmp: Path, targets: list[dict], *sets: str, env: dict[str, str] | None = None) -> tuple[dict[str, dict], float]:
    (tmp / "targets.json").write_text(json.dumps(targets), encoding="utf-8")
    out = tmp / "artifacts.jsonl"
    args = ["--targets", str(tmp / "targets.json"), "--out", str(out), *FAST]
    for s in sets:
        args += ["--set", s]
    started = time.monotonic()
    proc = run_tripwired("sveden.gather", args, env if env is not None else guarded_env(tmp))
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr[-4000:]
    artifacts = {a["org_id"]: a for a in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert set(artifacts) == {t["org_id"] for t in targets}, proc.stderr[-3000:]
    return artifacts, elapsed


# -- the policy (pure) --------------------------------------------------------------------------

FORBIDDEN = [
    "127.0.0.1", "127.255.255.254", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
    "100.64.0.1", "100.127.255.255", "0.0.0.0", "224.0.0.1", "255.255.255.255", "240.0.0.1",
    "::1", "::", "fe80::1", "fe80::1%eth0", "fc00::1", "fd12:3456::1", "ff02::1",
    "::ffff:10.0.0.1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "2002:a00:1::1", "64:ff9b::a00:1", "not-an-address",
]
PUBLIC = ["8.8.8.8", "93.184.216.34", "100.63.255.255", "100.128.0.1", "172.32.0.1", "2a00:1450:4010:c0e::64", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", FORBIDDEN)
def test_internal_addresses_are_forbidden(address):
    assert is_forbidden(address)
    assert not AddressPolicy().permits_address(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address):
    assert not is_forbidden(address)
    assert AddressPolicy().permits_address(address)


def test_the_switch_and_the_allowlist():
    assert env_allows({ENV_ALLOW: "1"}) and env_allows({ENV_ALLOW: "true"})
    assert not env_allows({}) and not env_allows({ENV_ALLOW: "0"}) and not env_allows({ENV_ALLOW: ""})
    assert AddressPolicy(allow_all=True).permits_address("127.0.0.1")
    policy = AddressPolicy.build(False, ["127.0.0.1:8080", "[::1]:9000", "intranet.example", "10.20.0.0/16"])
    assert policy.permits_origin("127.0.0.1", 8080) and not policy.permits_origin("127.0.0.1", 8081)
    assert not policy.permits_origin("localhost", 8080)  # the origin as written, not what it resolves to
    assert policy.permits_origin("::1", 9000) and policy.permits_origin("[::1]", 9000) and not policy.permits_origin("::1", 80)
    assert policy.permits_origin("intranet.example", 443) and policy.permits_name("intranet.example")
    assert policy.permits_address("10.20.3.4") and not policy.permits_address("10.21.0.1")
    with pytest.raises(ValueError, match="SVEDEN_PRIVATE_ALLOWLIST"):
        AddressPolicy.build(False, ["10.0.0.0/40"])


def test_a_bad_allowlist_is_a_settings_error_before_crawling():
    from crawler.runner import SettingsError, parse_sets, validate_settings

    assert validate_settings(parse_sets(['SVEDEN_PRIVATE_ALLOWLIST=["127.0.0.1:8080"]']))
    with pytest.raises(SettingsError, match="запись «127.0.0.1:http» не разбирается"):
        validate_settings(parse_sets(['SVEDEN_PRIVATE_ALLOWLIST=["127.0.0.1:http"]']))


def test_private_hosts_known_without_dns():
    assert private_host("10.0.0.5") == "10.0.0.5" and private_host("127.0.0.1") == "127.0.0.1"
    assert private_host("localhost") == "localhost" and private_host("school.local") == "school.local"
    assert private_host("db.internal") == "db.internal" and private_host("[::1]") == "::1"
    assert private_host("school1.ru") is None and private_host("8.8.8.8") is None


def test_forbidden_address_is_a_named_outcome():
    from artifacts.schema import OUTCOMES
    from crawler.ssrf import ForbiddenAddress
    from storage.models import CHECK_OUTCOMES

    assert "forbidden_address" in OUTCOMES and "forbidden_address" in CHECK_OUTCOMES
    kind, message = classify_exception(ForbiddenAddress("localhost", "127.0.0.1"))
    assert kind == "forbidden_address"
    assert message == "адрес ведёт во внутреннюю сеть (localhost → 127.0.0.1) — такие адреса не проверяются"
    assert refusal_message("10.0.0.5", "10.0.0.5", "адрес сайта") == "адрес сайта ведёт во внутреннюю сеть (10.0.0.5) — такие адреса не проверяются"


def test_the_resolver_refuses_internal_answers():
    from crawler.ssrf import ForbiddenAddress, GuardedResolver

    resolver = GuardedResolver(object(), 0, 1.0)
    resolver.policy = AddressPolicy.build(False, ["intranet.example"])
    assert resolver._check("93.184.216.34", "school1.ru") == "93.184.216.34"
    assert resolver._check("10.0.0.7", "intranet.example") == "10.0.0.7"  # listed by name
    with pytest.raises(ForbiddenAddress) as info:
        resolver._check("127.0.0.1", "school-site.ru")
    assert (info.value.host, info.value.address) == ("school-site.ru", "127.0.0.1")


# -- crawls with the protection on --------------------------------------------------------------

REFUSED_DIRECTLY = {
    # org_id: (url, the address the message shows); {F} is the forbidden loopback listener's port
    "loopback": ("http://127.0.0.1:{F}/", "(127.0.0.1)"),
    "localhost": ("http://localhost:{F}/", "(localhost → 127.0.0.1)"),
    "short-form": ("http://127.1:{F}/", "(127.1 → 127.0.0.1)"),
    "public-name-to-loopback": ("http://school-site.ru:{F}/", "(school-site.ru → 127.0.0.1)"),
    "public-name-to-private": ("http://intranet-school.ru/", "(intranet-school.ru → 10.0.0.5)"),
    "allowlisted-ip-not-name": ("http://localhost:{G}/", "(localhost → 127.0.0.1)"),
    "metadata": ("http://169.254.169.254/latest/meta-data/", "(169.254.169.254)"),
    "private-10": ("http://10.0.0.1/", "(10.0.0.1)"),
    "private-172": ("https://172.16.0.1/", "(172.16.0.1)"),
    "private-192": ("http://192.168.0.1:8080/", "(192.168.0.1)"),
    "cgnat": ("http://100.64.0.1/", "(100.64.0.1)"),
    "unspecified": ("http://0.0.0.0:{F}/", "(0.0.0.0)"),
    "ipv6-loopback": ("http://[::1]:{F}/", "(::1)"),
    "ipv6-link-local": ("http://[fe80::1]/", "(fe80::1)"),
    "ipv6-unique-local": ("http://[fc00::1]/", "(fc00::1)"),
    "ipv6-mapped": ("http://[::ffff:10.0.0.1]/", "(::ffff:a00:1)"),
}


def refresh_page(url: str) -> Route:
    return Route(f'<!DOCTYPE html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="0; url={url}">'
                 "<title>Школа</title></head><body>Переход…</body></html>")


def docs_site(forbidden: str) -> dict[str, Route]:
    return {
        "/": page('<a href="/sveden/">Сведения об образовательной организации</a>', "МБОУ СОШ № 9"),
        "/sveden/": page('<a href="/sveden/document/">Документы</a>'),
        "/sveden/document/": page(
            f'<p><a itemprop="ustavDocLink" href="{forbidden}/ustav.pdf">Устав</a></p>'
            '<p><a itemprop="localActStud" href="/docs/local.pdf">Локальные акты</a></p>'
            f'<p><a itemprop="addRef" href="{forbidden}/more/">Продолжение</a></p>'
        ),
        "/docs/local.pdf": Route(b"%PDF-1.4", content_type="application/pdf"),
    }


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    """One crawl (protection on, one allowlisted origin per site) of every case; F and G must see nothing."""
    tmp = tmp_path_factory.mktemp("ssrf")
    with ExitStack() as stack:
        forbidden = stack.enter_context(Listener())
        decoy = stack.enter_context(Listener())  # allowlisted as 127.0.0.1:G, reached only through «localhost:G»
        sites = {
            "redirect": stack.enter_context(serve({"/": redirect(forbidden.url + "/")})),
            "refresh": stack.enter_context(serve({"/": refresh_page(forbidden.url + "/")})),
            "docs": stack.enter_context(serve(docs_site(forbidden.url))),
        }
        targets = [{"org_id": org, "url": url.format(F=forbidden.port, G=decoy.port)} for org, (url, _) in REFUSED_DIRECTLY.items()]
        targets += [{"org_id": name, "url": srv.url + "/"} for name, srv in sites.items()]
        allowlist = [f"127.0.0.1:{srv.server_address[1]}" for srv in sites.values()] + [f"127.0.0.1:{decoy.port}"]
        artifacts, elapsed = gather(tmp, targets, f"SVEDEN_PRIVATE_ALLOWLIST={json.dumps(allowlist)}", "SVEDEN_PROBE_OFFSITE=true")
        time.sleep(0.2)  # a connection in flight would have been accepted by now
        yield {
            "artifacts": artifacts, "elapsed": elapsed, "tripwire": tripwire_log(tmp), "forbidden": forbidden.accepted,
            "decoy": decoy.accepted, "site_ports": {srv.server_address[1] for srv in sites.values()},
            "site_logs": {name: list(srv.log) for name, srv in sites.items()},
        }


def test_no_connection_reaches_a_forbidden_address(guarded):
    assert guarded["forbidden"] == 0 and guarded["decoy"] == 0
    connects = [tuple(v) for kind, v in guarded["tripwire"] if kind == "connect"]
    assert connects, "the allowlisted sites were crawled"
    # Only the allowlisted origins were connected to: no attempt at all on any refused address.
    assert {(host, port) for host, port in connects} <= {("127.0.0.1", p) for p in guarded["site_ports"]}, connects
    # The check is made after resolution: the public-looking names were resolved, then refused.
    resolved = {v for kind, v in guarded["tripwire"] if kind == "resolve"}
    assert {"school-site.ru", "intranet-school.ru"} <= resolved


@pytest.mark.parametrize("org", list(REFUSED_DIRECTLY))
def test_internal_site_addresses_end_forbidden_address(guarded, org):
    artifact = guarded["artifacts"][org]
    outcome = artifact["outcome"]
    assert outcome["status"] == "forbidden_address", outcome
    assert outcome["message"] == f"адрес сайта ведёт во внутреннюю сеть {REFUSED_DIRECTLY[org][1]} — такие адреса не проверяются"
    assert artifact["stats"]["pages"] == 0 and outcome["http_status"] is None


def test_refusals_take_no_connection_timeouts(guarded):
    # 16 refused sites and 3 small ones: nothing waited for a connection (DOWNLOAD_TIMEOUT is 5 s).
    assert guarded["elapsed"] < 60
    assert all(a["stats"]["seconds"] < 5 for a in guarded["artifacts"].values())


@pytest.mark.parametrize("org", ["redirect", "refresh"])
def test_a_redirect_into_the_internal_network_is_refused(guarded, org):
    outcome = guarded["artifacts"][org]["outcome"]
    assert outcome == {"status": "forbidden_address", "http_status": None,
                       "message": "переадресация ведёт во внутреннюю сеть (127.0.0.1) — такие адреса не проверяются"}
    assert ("GET", "/") in guarded["site_logs"][org]  # the allowlisted site itself was read


def test_document_probes_and_pages_into_the_internal_network_are_refused(guarded):
    artifact = guarded["artifacts"]["docs"]
    assert artifact["outcome"]["status"] == "ok"
    probes = artifact["probes"]
    refused = [p for url, p in probes.items() if "/ustav.pdf" in url]
    assert len(refused) == 1 and refused[0]["error_kind"] == "forbidden_address"
    assert refused[0]["error"] == "ссылка на документ ведёт во внутреннюю сеть (127.0.0.1) — такие адреса не проверяются"
    assert [p["status"] for url, p in probes.items() if url.endswith("/docs/local.pdf")] == [200]
    more = [p for p in artifact["pages"] if p["url"].endswith("/more/")]
    assert len(more) == 1 and more[0]["error_kind"] == "forbidden_address" and more[0]["status"] is None


def test_the_switch_lets_crawls_reach_loopback(tmp_path):
    """SVEDEN_ALLOW_PRIVATE_ADDRESSES=1 in the environment, or the setting of that name."""
    for how in ("env", "setting"):
        tmp = tmp_path / how
        tmp.mkdir()
        with Listener() as internal:
            env = guarded_env(tmp, **({ENV_ALLOW: "1"} if how == "env" else {}))
            sets = ["SVEDEN_ALLOW_PRIVATE_ADDRESSES=true"] if how == "setting" else []
            artifacts, _ = gather(tmp, [{"org_id": "a", "url": internal.url + "/"}], *sets, env=env)
        assert artifacts["a"]["outcome"]["status"] != "forbidden_address", artifacts["a"]["outcome"]
        assert internal.accepted >= 1, how


def test_sveden_check_of_an_internal_address_exits_2(tmp_path):
    with Listener() as internal:
        env = guarded_env(tmp_path)
        proc = run_tripwired("sveden.cli", ["check", internal.url + "/", "--no-store", "--format", "json", *FAST], env)
        text = run_tripwired("sveden.cli", ["check", "http://10.0.0.5/", "--no-store", *FAST], env)
        time.sleep(0.2)
        assert internal.accepted == 0
    assert proc.returncode == 2, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    assert result["reachable"] is False
    assert result["error"] == "адрес сайта ведёт во внутреннюю сеть (127.0.0.1) — такие адреса не проверяются"
    assert "Сайт не проверен: адрес сайта ведёт во внутреннюю сеть (127.0.0.1)" in proc.stderr
    assert text.returncode == 2 and "адрес сайта ведёт во внутреннюю сеть (10.0.0.5) — такие адреса не проверяются" in text.stderr
    assert "Traceback" not in proc.stderr + text.stderr
    assert not [v for kind, v in tripwire_log(tmp_path) if kind == "connect"]


def test_busgov_goes_through_the_same_guard(tmp_path):
    with Listener() as internal:
        (tmp_path / "t.json").write_text(json.dumps([{"org_id": "o1", "agency_id": 123456, "inn": None, "site_url": None}]), encoding="utf-8")
        proc = run_tripwired("crawler.busgov_run", ["--targets", str(tmp_path / "t.json"), "--out", str(tmp_path / "o.jsonl"),
                                                    "--base-url", internal.url, "--delay", "0", "--log-level", "ERROR",
                                                    "--set", "SVEDEN_BUSGOV_RETRY_TIMES=0"], guarded_env(tmp_path))
        time.sleep(0.2)
        assert internal.accepted == 0
    assert proc.returncode == 0, proc.stderr[-3000:]
    item = json.loads((tmp_path / "o.jsonl").read_text(encoding="utf-8"))
    assert item["status"] == "unreachable" and "ведёт во внутреннюю сеть (127.0.0.1)" in item["message"], item
    assert not [v for kind, v in tripwire_log(tmp_path) if kind == "connect"]


# -- registry import ----------------------------------------------------------------------------


def registry_csv(tmp_path: Path) -> Path:
    rows = [
        ["Код", "Полное наименование", "Тип", "Муниципальное образование", "Адрес сайта"],
        ["s1", "МБОУ СОШ № 1", "школа", "г. Тула", "school1.ru"],
        ["s2", "МБОУ СОШ № 2", "школа", "г. Тула", "http://10.0.0.5/"],
        ["s3", "МБОУ СОШ № 3", "школа", "г. Тула", "http://127.0.0.1:8080/"],
        ["s4", "МБОУ СОШ № 4", "школа", "г. Тула", "https://school4.local/"],
        ["s5", "МБОУ СОШ № 5", "школа", "г. Тула", "http://[::1]:8080/"],
    ]
    path = tmp_path / "r.csv"
    path.write_text("".join(";".join(r) + "\r\n" for r in rows), encoding="utf-8")
    return path


def test_registry_import_warns_about_internal_addresses(tmp_path, monkeypatch):
    from sveden.registry_io import read_registry

    monkeypatch.delenv(ENV_ALLOW, raising=False)
    reg = read_registry(registry_csv(tmp_path))
    assert reg.errors == [] and len(reg.records) == 5  # imported all the same: the crawl refuses them
    assert [str(w) for w in reg.warnings] == [
        "строка 3, столбец «Адрес сайта» «http://10.0.0.5/»: адрес сайта ведёт во внутреннюю сеть (10.0.0.5) — "
        "такие адреса не проверяются (в закрытой сети: SVEDEN_ALLOW_PRIVATE_ADDRESSES=1)",
        "строка 4, столбец «Адрес сайта» «http://127.0.0.1:8080/»: адрес сайта ведёт во внутреннюю сеть (127.0.0.1) — "
        "такие адреса не проверяются (в закрытой сети: SVEDEN_ALLOW_PRIVATE_ADDRESSES=1)",
        "строка 5, столбец «Адрес сайта» «https://school4.local/»: адрес сайта ведёт во внутреннюю сеть (school4.local) — "
        "такие адреса не проверяются (в закрытой сети: SVEDEN_ALLOW_PRIVATE_ADDRESSES=1)",
        "строка 6, столбец «Адрес сайта» «http://[::1]:8080/»: адрес сайта ведёт во внутреннюю сеть (::1) — "
        "такие адреса не проверяются (в закрытой сети: SVEDEN_ALLOW_PRIVATE_ADDRESSES=1)",
    ]
    monkeypatch.setenv(ENV_ALLOW, "1")
    assert read_registry(registry_csv(tmp_path)).warnings == []


def test_registry_cli_prints_the_warning(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from sveden.cli_registry import registry_app

    monkeypatch.delenv(ENV_ALLOW, raising=False)
    monkeypatch.setenv("SVEDEN_DATABASE_URL", f"sqlite:///{(tmp_path / 'db.sqlite').as_posix()}")
    result = CliRunner().invoke(registry_app, ["import", str(registry_csv(tmp_path))])
    assert result.exit_code == 0, result.output
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "строка 3" in output and "http://10.0.0.5/" in output and "внутреннюю сеть (10.0.0.5)" in output
