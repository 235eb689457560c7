"""End to end in a real browser: ``streamlit run dashboards/app.py`` on the session publish,
Debian's headless Chromium driven by Playwright. Logs in through the login form, visits every
page through the sidebar navigation, checks that each is usable within 3 s and shows no
exception, compares a key number on the leadership and the invoicing pages with the marts,
and saves a full-page screenshot of each page to ``test-artifacts/screenshots/<page>.png``.

Needs ``/usr/bin/chromium`` (``apt-get install -y chromium fonts-noto-cjk``); skipped, saying
so, without it.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

from dashboards.lib import fmt
from tests.dashboards.conftest import ROOT

pytestmark = pytest.mark.xdist_group("portal")

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "browser-test-Passw0rd"
USABLE_WITHIN = 3.0  # seconds, click → script finished and nothing left loading
# page id -> the page's title (h1) in Chinese
PAGES = {
    "leadership": "领导门户",
    "personal": "个人门户",
    "contracts": "合同档案查询",
    "billing": "开票与回款",
    "ar_aging": "应收账龄",
    "process": "流程效率",
    "reconciliation": "对账",
    "quality": "数据质量",
}
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def executive(served) -> str:
    con = duckdb.connect(str((served / "serving" / "current").resolve()), read_only=True)
    try:
        return con.execute(
            "select min(viewer_login_id) from marts.dim_user_access "
            "where viewer_role_code = 'executive'"
        ).fetchone()[0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def app_url(served, executive, tmp_path_factory):
    """The portal on a free port, reading the session publish; a user store of its own."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run the browser test")
    from dashboards.lib import users

    data = tmp_path_factory.mktemp("browser_data")
    (data / "serving").symlink_to(served / "serving", target_is_directory=True)
    users.set_password(executive, PASSWORD, data=data)
    port = _free_port()
    env = {
        **os.environ,
        "ZHONGTAI_DATA_DIR": str(data),
        "ZHONGTAI_PORTAL_AUTH": "local",
        "PYTHONPATH": str(ROOT),
    }
    log = (data / "streamlit.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "dashboards" / "app.py"),
            "--server.headless",
            "true",
            "--global.developmentMode",
            "false",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "streamlit did not start:\n" + (data / "streamlit.log").read_text()[-3000:]
                )
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser_page(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()


def wait_ready(page, title: str, timeout_ms: int = 30_000) -> None:
    """The page's title is shown, the script has finished and nothing is still loading."""
    page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=timeout_ms)
    page.wait_for_selector(READY, timeout=timeout_ms)
    page.wait_for_function(
        "document.querySelectorAll(\"[data-testid='stSkeleton']\").length === 0",
        timeout=timeout_ms,
    )
    page.wait_for_selector(READY, timeout=timeout_ms)


def screenshot(page, name: str) -> Path:
    """Full page: Streamlit scrolls inside its main container, so grow the viewport to it."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        """() => Math.max(...["[data-testid='stMain']", "[data-testid='stAppViewContainer']",
             "section.main", "body"].map(s => document.querySelector(s))
             .filter(Boolean).map(e => e.scrollHeight))"""
    )
    page.set_viewport_size({"width": 1440, "height": int(min(max(height, 900), 12_000))})
    page.wait_for_timeout(400)  # let charts re-layout
    out = SHOTS / f"{name}.png"
    page.screenshot(path=str(out), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})
    return out


def metric_value(page, label: str) -> str:
    box = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return box.locator("[data-testid='stMetricValue']").inner_text().strip()


def test_every_page_in_a_browser(browser_page, app_url, executive, served):
    page = browser_page
    page.goto(app_url)
    page.get_by_label("用户名（工号登录名）").fill(executive)
    page.get_by_label("密码").fill(PASSWORD)
    start = time.monotonic()
    page.get_by_role("button", name="登录").click()
    wait_ready(page, PAGES["leadership"])
    first_load = time.monotonic() - start  # includes the password check and a cold process
    timings: dict[str, float] = {}
    assert page.locator("[data-testid='stException']").count() == 0
    shots = {"leadership": screenshot(page, "leadership")}

    con = duckdb.connect(str((served / "serving" / "current").resolve()), read_only=True)
    try:
        as_of = con.execute("select max(as_of_date) from marts.fct_contracts").fetchone()[0]
        signed = con.execute(
            "select sum(signed_amount) from marts.rpt_leadership_kpis where period_type = 'month' "
            "and not is_company_total and period_start = ?",
            [dt.date(as_of.year, as_of.month, 1)],
        ).fetchone()[0]
        dni = con.execute(
            "select coalesce(sum(delivered_not_invoiced_incl_tax), 0) "
            "from marts.rpt_contract_billing_status"
        ).fetchone()[0]
    finally:
        con.close()
    assert metric_value(page, "签约额") == fmt.wan(signed)

    for pid, title in [*list(PAGES.items())[1:], ("leadership", PAGES["leadership"])]:
        nav = page.locator("[data-testid='stSidebarNav']")
        link = nav.get_by_role("link", name=title, exact=True).first
        start = time.monotonic()
        link.click()
        if pid != "leadership":  # the default page lives at "/"
            page.wait_for_url(f"**/{pid}")
        wait_ready(page, title)
        timings[pid] = time.monotonic() - start
        assert page.locator("[data-testid='stException']").count() == 0, pid
        if pid == "billing":
            assert metric_value(page, "已发货未开票") == fmt.wan(dni)
        if pid != "leadership":
            shots[pid] = screenshot(page, pid)
        if pid == "contracts":
            # open one contract's detail (the first listed) and keep that view too
            box = page.locator("[data-testid='stSelectbox']").filter(has_text="选择合同")
            box.locator("input").click()
            page.keyboard.press("ArrowDown")
            page.keyboard.press("Enter")
            wait_ready(page, title)
            page.get_by_text("来源单据").first.wait_for()
            assert page.locator("[data-testid='stException']").count() == 0
            shots["contracts_detail"] = screenshot(page, "contracts_detail")

    slow = {p: round(t, 2) for p, t in timings.items() if t > USABLE_WITHIN}
    print(
        f"login → leadership {first_load:.2f} s; page timings (s):",
        {p: round(t, 2) for p, t in timings.items()},
    )
    assert not slow, f"pages not usable within {USABLE_WITHIN} s: {slow}"
    assert first_load < 2 * USABLE_WITHIN, f"login took {first_load:.1f} s"
    for pid, path in shots.items():
        assert path.stat().st_size > 10_000, pid
