"""Two console processes on one PostgreSQL store behind Debian's nginx with sticky sessions (`ip_hash`),
as the README's "Two consoles behind a reverse proxy" runs them.

One setup for the module: a private PostgreSQL database with the small demo, one Stripe simulator filled
from it (both consoles and the CLI point at it), the two consoles sharing the store, DATA_DIR and keys,
and nginx on a free loopback port with a generated config whose pid, logs and temp folders are in the
test's folder. From 127.0.0.1 `ip_hash` sends every request to one console (`behind`); the other is
opened directly, so each journey crosses the two processes. The first test signs in through the form;
the others open their pages with a session the store made (the same cookie, without the form's time).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from dashboard.access import auth, sessions
from dashboard.access.sessions import COOKIE_NAME
from dashboard.billing.stripe_sync.runner import STRIPE_KINDS
from dashboard.cli.common import JOB_LOCKED_EXIT
from dashboard.core.db import make_engine
from dashboard.core.money import format_money
from dashboard.core.settings import PROJECT_ROOT
from dashboard.demo.core import DEMO_PASSWORD, DEMO_USERS
from dashboard.simulators.demo import DEMO_STRIPE_KEY, fill_stripe
from dashboard.simulators.stripe import Request, StripeSimulator
from models import BillingCorrection, StripePayment, StripeRefund, SyncRun, User
from tests.browser.conftest import (
    WAIT_MS,
    choose_option,
    free_port,
    shot,
    sign_in,
    start_streamlit,
    stop,
    untouched_demo_payment,
    wait_for_http,
    wait_for_session_cookie,
    wait_idle,
)
from tests.conftest import private_postgres_database

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("two_consoles")]

NGINX = "/usr/sbin/nginx"
# Every correction waits for a second person (the demo's refunds are above 1.00).
APPROVAL_THRESHOLD_MINOR = 100

NGINX_CONF = """\
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 256; }}
http {{
    log_format upstream '$upstream_addr $request_uri $status';
    access_log {folder}/access.log upstream;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        '' close;
    }}
    upstream consoles {{
        ip_hash;
        server 127.0.0.1:{port_a};
        server 127.0.0.1:{port_b};
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://consoles;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 1d;
            proxy_buffering off;
        }}
    }}
}}
"""


class GatedStripe(StripeSimulator):
    """The demo's Stripe, which can hold requests: while `gate` is clear each request waits for it (and
    sets `knocked`), so a sync can be kept running with its lock taken. Whoever else calls Stripe then
    waits too: a refusal seen while the gate is shut was given without a call."""

    def __init__(self) -> None:
        super().__init__(api_key=DEMO_STRIPE_KEY, follow_clock=lambda: int(time.time()))
        self.gate = threading.Event()
        self.gate.set()
        self.knocked = threading.Event()

    def handle(self, request: Request) -> tuple[int, dict, dict[str, str]]:
        if not self.gate.is_set():
            self.knocked.set()
            self.gate.wait()
        return super().handle(request)


@dataclass(frozen=True)
class Consoles:
    proxy: str  # nginx
    behind: str  # the console nginx sends this machine to
    other: str  # the other console, opened directly
    store: Engine
    stripe: GatedStripe
    env: dict[str, str]  # a job's environment: the consoles' store, keys and Stripe
    access_log: Path

    def open_signed_in(self, page, base: str, role: str, path: str) -> None:
        """Open `path` on `base` as the demo user of `role`, with a session made in the store (signing in
        through the form is the first test's)."""
        email, _ = DEMO_USERS[role]
        with Session(self.store) as session:
            user = session.exec(select(User).where(User.email == email)).one()
            token = sessions.create_session(session, auth.actor_for(user))
            session.commit()
        page.context.add_cookies([{"name": COOKIE_NAME, "value": token, "url": base, "sameSite": "Strict"}])
        page.goto(f"{base}/{path}")
        wait_idle(page)


def _upstreams(access_log: Path) -> set[str]:
    """The consoles nginx sent the requests it finished to (a websocket is logged when it closes)."""
    return {f"http://{line.split()[0]}" for line in access_log.read_text().splitlines()}


def _start_nginx(folder: Path, port_a: int, port_b: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(folder=folder, port=port, port_a=port_a, port_b=port_b))
    process = subprocess.Popen(
        [NGINX, "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/_stcore/health")
    except TimeoutError:
        stop(process)
        raise
    return process, base


def _first_upstream(access_log: Path, timeout: float = 60) -> str:
    """The console nginx sent its first finished request to. nginx logs a request after answering it, so
    on a busy machine the health check's answer can arrive before its log line: wait for the line."""
    deadline = time.monotonic() + timeout
    while not (upstreams := _upstreams(access_log)) and time.monotonic() < deadline:
        time.sleep(0.2)
    [behind] = upstreams
    return behind


def _port(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


@pytest.fixture(scope="module")
def consoles(tmp_path_factory: pytest.TempPathFactory, demo_templates) -> Iterator[Consoles]:
    if not Path(NGINX).exists():
        pytest.skip("Debian nginx is not installed (apt-get install -y nginx)")
    folder = tmp_path_factory.mktemp("two-consoles")
    data_dir = folder / "data"  # shared: privacy exports written by one console are downloaded from either
    data_dir.mkdir()
    with ExitStack() as cleanup:
        url = cleanup.enter_context(private_postgres_database())
        stripe = GatedStripe()
        stripe.ready.clear()  # it answers once filled from the seeded store
        stripe.start()
        cleanup.callback(stripe.stop)
        env = {
            "DATABASE_URL": url,
            "STRIPE_API_KEY": DEMO_STRIPE_KEY,
            "STRIPE_API_BASE": stripe.url,
            "CORRECTION_APPROVAL_THRESHOLD_MINOR": str(APPROVAL_THRESHOLD_MINOR),
        }
        with ThreadPoolExecutor(2) as pool:
            starting = [pool.submit(start_streamlit, data_dir, env) for _ in range(2)]
            cleanup.callback(_stop_started, starting)
            store = make_engine(url)  # seeded while the consoles start (they read it on a first visit)
            cleanup.callback(store.dispose)
            demo_templates.seed(store)
            fill_stripe(stripe, store)
            a, b = (future.result()[1] for future in starting)  # a failed start raises here
        nginx, proxy = _start_nginx(folder, _port(a), _port(b))
        cleanup.callback(stop, nginx)
        behind = _first_upstream(folder / "access.log")
        job_env = {**os.environ, **env, "DATA_DIR": str(data_dir)}
        yield Consoles(proxy, behind, b if behind == a else a, store, stripe, job_env, folder / "access.log")


def _stop_started(starting: list[Future]) -> None:
    """Stop the consoles that started, together (each takes a moment to end)."""
    processes = [future.result()[0] for future in starting if future.exception() is None]
    for process in processes:
        process.terminate()
    for process in processes:
        stop(process)


@pytest.fixture
def second_page(browser) -> Iterator[object]:
    """A second person's browser (its own cookies)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, timezone_id="Europe/Berlin")
    context.set_default_timeout(WAIT_MS)
    yield context.new_page()
    context.close()


def test_a_sign_in_behind_the_proxy_is_good_on_both_consoles(consoles, page) -> None:
    email, name = DEMO_USERS["account_manager"]
    sign_in(page, consoles.proxy, email, DEMO_PASSWORD)
    expect(page.get_by_text(f"Signed in as {name}")).to_be_visible()
    wait_for_session_cookie(page)
    page.get_by_role("link", name="Installations").click()
    expect(page.get_by_role("heading", name="Installations", level=1)).to_be_visible()
    shot(page, "two-consoles-behind-proxy")
    # Sticky: every request of the page (its files, then the websocket its script runs over) went to
    # the one console ip_hash picks for this address.
    assert _upstreams(consoles.access_log) == {consoles.behind}

    # The session cookie is the store's: either console, opened directly, knows it.
    for base in (consoles.other, consoles.behind):
        direct = page.context.new_page()
        direct.goto(f"{base}/installations")
        expect(direct.get_by_role("heading", name="Installations", level=1)).to_be_visible()
        expect(direct.get_by_text(f"Signed in as {name}")).to_be_visible()
        expect(direct.get_by_label("Password", exact=True)).to_have_count(0)
        direct.close()


def _refunds_of(stripe: StripeSimulator, charge: str) -> list[dict]:
    return [refund for refund in stripe.store["refunds"].values() if refund["charge"] == charge]


def test_a_refund_requested_on_one_console_and_approved_on_the_other_is_made_once(
    consoles, page, second_page
) -> None:
    with Session(consoles.store) as session:
        payment = untouched_demo_payment(session)
    assert _refunds_of(consoles.stripe, payment.id) == []

    consoles.open_signed_in(page, consoles.proxy, "account_manager", "corrections")
    page.get_by_role("textbox", name="Find the account").fill(payment.company)
    page.keyboard.press("Enter")
    choose_option(page, "Account", re.compile(re.escape(payment.company)))
    choose_option(page, "Payment", re.compile(re.escape(payment.id)))
    expect(page.get_by_text("refundable").first).to_be_visible()
    half = payment.amount // 2
    page.get_by_role("textbox", name=re.compile(r"^Amount")).fill(f"{half // 100}.{half % 100:02d}")
    choose_option(page, "Reason category", "Service problem")
    page.get_by_role("textbox", name="Reason").fill("Two consoles: requested here, approved on the other.")
    page.get_by_role("button", name="Preview").click()
    wait_idle(page)
    page.get_by_role("button", name=f"Refund {format_money(half, payment.currency)}").click()
    waiting = page.get_by_text(re.compile(r"Correction #\d+: waiting for approval"))
    expect(waiting).to_be_visible()
    correction_id = re.search(r"#(\d+)", waiting.inner_text()).group(1)
    assert _refunds_of(consoles.stripe, payment.id) == []  # nothing sent before the approval

    consoles.open_signed_in(second_page, consoles.other, "admin", "correction-approvals")
    queued = second_page.get_by_test_id("stExpander").filter(has_text=f"#{correction_id} ·")
    if queued.locator("details[open]").count() == 0:  # a queue of one opens folded out
        queued.get_by_text(f"#{correction_id} ·").click()
    queued.get_by_label("Reason for your decision").fill("Checked the outage report.")
    queued.get_by_role("button", name="Approve and execute").click()
    executed = second_page.get_by_text(re.compile(rf"Correction #{correction_id}: executed in Stripe"))
    expect(executed).to_be_visible()
    shot(second_page, "two-consoles-approved-on-the-other")

    [refund] = _refunds_of(consoles.stripe, payment.id)
    assert refund["amount"] == half
    with Session(consoles.store) as session:
        correction = session.get(BillingCorrection, int(correction_id))
        assert correction.status == "executed" and correction.stripe_result_id == refund["id"]
        assert session.get(StripeRefund, refund["id"]).amount == half
        assert session.get(StripePayment, payment.id).amount_refunded == half


def _stripe_runs(store: Engine) -> list[SyncRun]:
    with Session(store) as session:
        return list(session.exec(select(SyncRun).where(col(SyncRun.kind).in_(STRIPE_KINDS))))


def _mirrored_payments(store: Engine) -> int:
    with Session(store) as session:
        return session.exec(select(func.count()).select_from(StripePayment)).one()


def _open_stripe_tab(consoles: Consoles, page, base: str) -> None:
    consoles.open_signed_in(page, base, "admin", "sync")
    page.get_by_role("tab", name="Stripe").click()
    expect(page.get_by_role("button", name="Sync now")).to_be_visible()


def test_a_sync_is_refused_while_the_other_console_runs_it(consoles, page, second_page) -> None:
    runs_before = {run.id for run in _stripe_runs(consoles.store)}
    payments_before = _mirrored_payments(consoles.store)
    _open_stripe_tab(consoles, page, consoles.proxy)
    _open_stripe_tab(consoles, second_page, consoles.other)

    consoles.stripe.gate.clear()  # the sync started behind the proxy waits on Stripe, holding its lock
    try:
        page.get_by_role("button", name="Sync now").click()
        assert consoles.stripe.knocked.wait(WAIT_MS / 1000)

        second_page.get_by_role("button", name="Sync now").click()
        refused = second_page.get_by_test_id("stExpander").filter(has_text="Another Stripe sync is running")
        expect(refused).to_be_visible()
        expect(refused).to_contain_text("holds its lock: admin@demo.example")  # folded in the status
        shot(second_page, "two-consoles-sync-refused")

        job = subprocess.run(
            [sys.executable, "-m", "dashboard", "sync", "stripe"],
            cwd=PROJECT_ROOT,
            env=consoles.env,
            capture_output=True,
            text=True,
            timeout=WAIT_MS / 1000,
        )
        assert job.returncode == JOB_LOCKED_EXIT, job.stderr
        assert "holds its lock: admin@demo.example" in job.stderr
    finally:
        consoles.stripe.gate.set()

    expect(page.get_by_text(re.compile(r"Stripe sync run \d+ succeeded"))).to_be_visible()
    [run] = [run for run in _stripe_runs(consoles.store) if run.id not in runs_before]  # one run, not three
    assert run.status == "succeeded" and run.triggered_by == "admin@demo.example"
    assert _mirrored_payments(consoles.store) == payments_before  # found as it is: nothing doubled
