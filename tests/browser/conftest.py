"""Real-browser fixtures: `./scripts/start` as the README says (default SQLite store, demo data) + Chromium.

Screenshots go to `test-artifacts/` at the project root (`TEST_ARTIFACTS` names another folder).

`TEST_CONSOLE_URL=http://127.0.0.1:8600` points the page walks (test_every_page.py) at a console already
running, e.g. on the large demo store, instead of starting one on the small demo:

    TEST_CONSOLE_URL=http://127.0.0.1:8600 TEST_ARTIFACTS=test-artifacts/large \
        python -m pytest -p no:xdist tests/browser/test_every_page.py
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dashboard.core import clock
from dashboard.core.settings import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = PROJECT_ROOT / os.environ.get("TEST_ARTIFACTS", "test-artifacts")
# Generous: the suite must pass on a machine kept busy by other work. Checks wait for what they check.
WAIT_MS = 90_000
# Typed after a page's address: parameters that some page reads, for pages that must ignore or refuse them.
TYPED_PARAMETERS = "id=36&account=1&request=36&state=uninstalled"
# The keys the test process sets for its own stores (tests/conftest.py); the README's quick start has none.
KEY_VARIABLES = ("SECRET_KEY", "AUDIT_KEY", "USAGE_ACTOR_HASH_KEY")
# What the console does to its store on first start (dashboard/ui/store.py), run on its own.
PREPARE_STORE = (
    "from dashboard.core.bootstrap import prepare_store; from dashboard.core.settings import get_settings; "
    "prepare_store(get_settings())"
)

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


def readme_environment(data_dir: Path, unset: tuple[str, ...]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update({"DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"})
    return env


def start_streamlit(
    data_dir: Path,
    extra_env: dict[str, str] | None = None,
    *,
    port: int | None = None,
    extra_args: tuple[str, ...] = (),
    unset: tuple[str, ...] = ("DATABASE_URL",),
) -> tuple[subprocess.Popen, str]:
    """`./scripts/start` (the README's command) on a free loopback port; returns the process and its URL."""
    port = port or free_port()
    env = readme_environment(data_dir, unset)
    env.update(extra_env or {})
    log = open(data_dir.parent / f"streamlit-{port}.log", "w")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(
        [
            "./scripts/start",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.fileWatcherType",
            "none",
            *extra_args,
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/_stcore/health")
    except TimeoutError:
        process.terminate()
        raise
    return process, base


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


class ConsoleTemplates:
    """The README's first start (migrate, seed the small demo, generate keys) done once per worker and
    UTC day into a template DATA_DIR; each console starts on a copy. One console per run still seeds
    itself (test_demo_journeys), so the first start stays tested in the browser."""

    unset = ("DATABASE_URL", *KEY_VARIABLES)  # the README's quick start sets none of these

    def __init__(self, root: Path) -> None:
        self.root = root

    def copy_into(self, data_dir: Path) -> None:
        template = self.root / clock.today().isoformat()
        if not template.exists():
            self._build(template)
        shutil.copytree(template, data_dir, dirs_exist_ok=True)

    def _build(self, template: Path) -> None:
        building = template.with_name(template.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        subprocess.run(
            [sys.executable, "-c", PREPARE_STORE],
            cwd=PROJECT_ROOT,
            env=readme_environment(building, self.unset),
            check=True,
        )
        building.rename(template)


@pytest.fixture(scope="session")
def console_templates(tmp_path_factory: pytest.TempPathFactory) -> ConsoleTemplates:
    return ConsoleTemplates(tmp_path_factory.mktemp("console-templates"))


@pytest.fixture(scope="module")
def console_url(
    tmp_path_factory: pytest.TempPathFactory, console_templates: ConsoleTemplates
) -> Iterator[str]:
    """The console exactly as the README starts it: default SQLite store with the demo data (or the
    console at TEST_CONSOLE_URL)."""
    if os.environ.get("TEST_CONSOLE_URL"):
        yield os.environ["TEST_CONSOLE_URL"].rstrip("/")
        return
    data_dir = tmp_path_factory.mktemp("console") / "data"
    console_templates.copy_into(data_dir)
    process, base = start_streamlit(data_dir, unset=console_templates.unset)
    yield base
    stop(process)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, timezone_id="Europe/Berlin")
    context.set_default_timeout(WAIT_MS)
    pg = context.new_page()
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}-final.png"), full_page=True)
    context.close()


def wait_idle(page) -> None:
    """Wait until Streamlit has finished running the script. A click or edit puts the app into
    `rerunRequested` at once (in the browser), so this never returns before the rerun it caused."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=WAIT_MS)


def choose_option(page, label: str, option: str | re.Pattern[str], *, typed: str = "") -> None:
    """Pick `option` in the select box labelled `label`, and check the box shows it. Tried again when a
    rerun closed the list or a busy browser dropped the click (the list stayed open, nothing chosen).
    `typed` narrows a long list first (the list only draws the options scrolled into view)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    box = page.locator("[data-testid='stSelectbox']").filter(has_text=label).locator("input")
    choice = page.get_by_role("option", name=option, exact=True)
    for attempt in range(3):
        wait_idle(page)
        try:
            box.click()
            if typed:
                box.fill(typed)
            choice.click(timeout=10_000)
            expect(box).to_have_value(option, timeout=10_000)  # the box shows the chosen option
            return
        except (PlaywrightTimeout, AssertionError):
            if attempt == 2:
                raise
            page.keyboard.press("Escape")


def wait_for_session_cookie(page) -> None:
    """The sign-in cookie is written by a script in a run after sign-in; a new page load needs it first."""
    from dashboard.access.sessions import COOKIE_NAME

    page.wait_for_function(f"document.cookie.includes('{COOKIE_NAME}=')")


def download(page, button) -> Path:
    """Click a download button and return the file. A rerun can swap the button's file while the click
    is on its way (the old one then never arrives), so a click without a download is tried again."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _attempt in range(3):
        wait_idle(page)
        try:
            with page.expect_download(timeout=WAIT_MS / 3) as info:
                button.click()
            return Path(info.value.path())
        except PlaywrightTimeout:
            continue
    raise AssertionError("the download button gave no file after three clicks")


def click_button(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    wait_idle(page)


def open_request_in_progress(page, kind: str, name: str, email: str) -> str:
    """Signed in as a privacy officer: log a request of `kind` for the subject, set it in progress and open
    its exports and deletions; returns the request's id."""
    from playwright.sync_api import expect

    page.get_by_role("link", name="Log a request").click()
    wait_idle(page)
    choose_option(page, "Request type", kind)
    page.get_by_label("Subject's name").fill(name)
    page.get_by_label("Subject's email").fill(email)
    click_button(page, "Log request")
    logged = page.get_by_text(re.compile(r"Request #\d+ logged\. Due")).inner_text()
    request_id = re.search(r"#(\d+)", logged).group(1)
    click_button(page, f"Open request #{request_id}")
    page.get_by_role("tab", name="Status").click()
    choose_option(page, "New status", "In progress")
    click_button(page, "Change status")
    expect(page.locator(".st-key-request_status")).to_contain_text("In progress")
    click_button(page, "Exports and deletions for this request")
    page.get_by_role("heading", name="Exports and deletions").wait_for()
    expect(page).to_have_url(re.compile(f"request={request_id}"))
    return request_id


@dataclass(frozen=True)
class DemoPayment:
    id: str
    amount: int
    currency: str
    account_id: int
    company: str


def untouched_demo_payment(session, owner_email: str | None = None) -> DemoPayment:
    """A paid demo payment of at least 20.00 with no refund or correction yet (of an account `owner_email`
    owns, when given)."""
    from sqlmodel import col, select

    from models import Account, BillingCorrection, StripeCustomer, StripePayment, User

    corrected = select(BillingCorrection.payment_id).where(col(BillingCorrection.payment_id).is_not(None))
    query = (
        select(StripePayment, Account)
        .join(StripeCustomer, col(StripeCustomer.id) == col(StripePayment.customer_id))
        .join(Account, col(Account.id) == col(StripeCustomer.account_id))
        .where(
            StripePayment.status == "succeeded",
            StripePayment.amount_refunded == 0,
            col(StripePayment.id).not_in(corrected),
            StripePayment.amount >= 2000,
        )
    )
    if owner_email:
        owner = select(User.id).where(User.email == owner_email).scalar_subquery()
        query = query.where(Account.owner_user_id == owner)
    payment, account = session.exec(query.order_by(StripePayment.id)).first()
    return DemoPayment(payment.id, payment.amount, payment.currency, account.id, account.company_name)


def wait_drawn(page) -> None:
    """Wait until the charts are drawn: Streamlit loads Plotly on first use and shows a skeleton meanwhile,
    so a finished run can still have charts with no axes, legends or titles to look at."""
    from playwright.sync_api import expect

    expect(page.locator("[data-testid='stMain'] [data-testid='stSkeleton']")).to_have_count(0)
    expect(page.locator("[data-testid='stPlotlyChart']:not(:has(.main-svg))")).to_have_count(0)


def shot(page, name: str) -> None:
    wait_drawn(page)
    path = ARTIFACTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)


def sign_in(page, base_url: str, email: str, password: str) -> None:
    page.goto(base_url)
    wait_idle(page)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    # Signed in, "/" switches to the role's landing page, whose run draws "Signed in as": a click on a
    # sidebar link before that switch would be overridden by it (streamlit_app.py).
    signed_in = page.get_by_text("Signed in as")
    refused = page.get_by_text(re.compile(r"^(Wrong email or password\.|Too many failed attempts)"))
    signed_in.or_(refused).first.wait_for(timeout=WAIT_MS)
    wait_idle(page)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder drives Chromium: marked `browser` whether or not its module says so,
    so `-m "not browser"` (CI's faketime run) never starts one."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)
