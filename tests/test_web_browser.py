"""The self-check page in a real browser: Debian's chromium driven by Selenium through /usr/bin/chromedriver
(no driver or browser download). A farm site is submitted through the form, the progress is watched,
the report's findings are read, the JSON is downloaded and compared with `sveden check --format json`
of the same site, and screenshots (the form, the progress, the finished check) are kept in ``test-artifacts/web/`` (CI keeps that folder)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cikit import needed
from webkit import REPO, web_server

from testbed.farm import generate, serve

ARTIFACTS = REPO / "test-artifacts" / "web"
CHROMEDRIVER = "/usr/bin/chromedriver"
READ_STATE = """
const text = (id) => { const el = document.getElementById(id); return el ? el.textContent : ""; };
return {state: text("state"), pages: text("pages"), report: !!document.getElementById("report")};
"""


def browser(downloads: Path):
    problem = None
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        problem = "the Python package selenium is not installed"
    binary = shutil.which("chromium")
    if problem is None and (binary is None or not os.path.exists(CHROMEDRIVER)):
        problem = "chromium or chromium-driver is not installed"
    needed(problem, "Selenium with Debian's chromium and chromium-driver (installed by .ci/run)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1600",
                "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return driver


def statuses(result: dict) -> dict:
    """The stable part of a check: the outcome and the status of every item and audit."""
    return {
        "reachable": result["reachable"],
        "org_type": result["org_type"],
        "items": {i["rule"]: i["status"] for i in result["items"]},
        "audits": {a["rule"]: a["status"] for a in result.get("audits", [])},
        "sections": {s["slug"]: s["status"] for s in result["sections"]},
    }


@pytest.fixture(scope="module")
def farm():
    farm = generate(10, seed=14, faults={}, cover_types=False)
    with serve(farm) as served:
        yield served


def test_a_farm_site_checked_in_the_browser(farm, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    truth = farm.truth()["sites"]
    # the site whose ground truth has the most failing items: the report must show findings
    index = max((i for i, t in enumerate(truth) if t["outcome"] == "ok"), key=lambda i: sum(x.get("status") == "fail" for x in truth[i]["items"]))
    site = farm.sites[index]
    (tmp_path / "registry.csv").write_text(farm.registry_csv(), encoding="utf-8")
    env = {"SVEDEN_DATABASE_URL": f"sqlite:///{tmp_path / 'web.db'}"}
    imported = subprocess.run([sys.executable, "-m", "sveden.cli", "registry", "import", str(tmp_path / "registry.csv")],
                              cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True, timeout=120)
    assert imported.returncode == 0, imported.stderr
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    with web_server(tmp_path, "--workers", "1", env=env) as base:
        driver = browser(downloads)
        try:
            driver.get(base + "/")
            assert "Проверить сайт" in driver.find_element(By.TAG_NAME, "h1").text
            driver.find_element(By.ID, "url").send_keys(site.url)
            assert Select(driver.find_element(By.ID, "org_type")).first_selected_option.text == "определить по названию на сайте"
            driver.save_screenshot(str(ARTIFACTS / "form.png"))
            driver.find_element(By.ID, "submit").click()
            seen = []
            deadline = time.monotonic() + 180
            while True:  # read at once in the page: it reloads itself when the check moves on
                now = driver.execute_script(READ_STATE)
                if now["report"]:
                    break
                if now["state"]:
                    seen.append((now["state"].strip(), now["pages"]))
                    if now["pages"] not in ("", "0") and not (ARTIFACTS / "progress.png").exists():  # counters moving
                        driver.save_screenshot(str(ARTIFACTS / "progress.png"))
                assert time.monotonic() < deadline, seen[-3:]
                time.sleep(0.05)
            assert "/checks/" in driver.current_url
            assert any(text.startswith(("Идёт проверка", "В очереди")) for text, _ in seen), seen[:5]
            summary = driver.find_element(By.ID, "state").text
            history = driver.find_element(By.ID, "history-link")
            assert site.name in history.text  # the site is in the registry: a link to its monthly history
            json_href = driver.find_element(By.ID, "json-link").get_attribute("href")
            driver.save_screenshot(str(ARTIFACTS / "check-page.png"))
            driver.switch_to.frame(driver.find_element(By.ID, "report"))
            report_text = driver.find_element(By.TAG_NAME, "body").text
            driver.switch_to.default_content()
            driver.find_element(By.ID, "json-link").click()
            deadline = time.monotonic() + 30
            while not [p for p in downloads.glob("*.json")]:
                assert time.monotonic() < deadline, "the JSON was not downloaded"
                time.sleep(0.1)
            time.sleep(0.3)  # the download renames its .crdownload into place: let it finish writing
            downloaded = json.loads(next(downloads.glob("*.json")).read_text(encoding="utf-8"))
            pdf = httpx.get(driver.find_element(By.ID, "pdf-link").get_attribute("href"), timeout=120)
            assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
            driver.get(history.get_attribute("href"))
            assert site.name in driver.find_element(By.TAG_NAME, "h1").text
            driver.get(base + "/rules/CMN002")
            assert "fullName" in driver.find_element(By.TAG_NAME, "body").text
        finally:
            driver.quit()
    assert json_href.endswith(".json")
    cli = subprocess.run([sys.executable, "-m", "sveden.cli", "check", site.url, "--format", "json", "--no-store"],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert cli.returncode in (0, 1), cli.stderr[-2000:]
    expected = json.loads(cli.stdout)
    assert statuses(downloaded) == statuses(expected)
    fails = [i for i in expected["items"] if i["status"] == "fail"]
    assert fails, "the chosen farm site has defects"
    assert f"Нарушений: {len(fails)}" in summary
    assert expected["org_name"] and expected["org_name"] in report_text
    for item in fails[:8]:  # the findings are in the report: each failing item's attribute
        assert item["itemprop"] in report_text, item
