"""Billing corrections under faults: every test ends by counting what the fake Stripe holds.

The faults are the ones of issue 12: an answer lost after the write, a failing read after a
successful write, a crash between Stripe and the store (retried within and after Stripe's key
lifetime), two tabs and two processes sending one correction, a threshold split into small
refunds, amounts typed the wrong way. Before the fix they produced 2 refunds (or 150.00 for 1.50).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from dataclasses import asdict
from datetime import timedelta

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from dashboard.access.identity import Actor
from dashboard.billing.corrections import workflow
from dashboard.billing.stripe_gateway import StripeGateway
from dashboard.cli import app
from dashboard.core import clock
from dashboard.core.db import make_engine
from dashboard.core.errors import ValidationError
from dashboard.core.settings import PROJECT_ROOT, reset_settings_cache
from dashboard.simulators.stripe import TEST_KEY
from models import StripePayment
from tests.corrections_helpers import corrections, form_for, posts, refunds_of, seed_business

DAY = 24 * 3600


@pytest.fixture
def business(session, fake_stripe):
    return seed_business(session, fake_stripe)


@pytest.fixture
def manager(make_user):
    return make_user("account_manager")


def refund_form(gateway, business, amount="30.00"):
    return form_for(gateway, "refund", business.charge["id"], business.account_id, amount=amount)


def refunds(fake, business) -> int:
    return len(refunds_of(fake, business.charge["id"]))


# -- the answer is lost after Stripe refunded --------------------------------------------------------


def test_response_lost_after_the_write_is_unknown_then_found_not_repeated(
    session, engine, fake_stripe, stripe_gateway, business, manager
):
    fake_stripe.lose_response_next(r"POST /v1/refunds")

    unknown = workflow.submit(engine, stripe_gateway, manager, refund_form(stripe_gateway, business))

    assert unknown.status == "unknown" and refunds(fake_stripe, business) == 1
    with pytest.raises(ValidationError) as refused:  # a colleague tries the same refund again
        workflow.submit(engine, stripe_gateway, manager, refund_form(stripe_gateway, business))
    assert refused.value.field == "target" and f"#{unknown.id}" in refused.value.message
    # sending it again as it is: returned unknown, nothing sent
    assert workflow.send(engine, stripe_gateway, manager, correction_id=unknown.id).status == "unknown"
    settled = workflow.check_now(engine, stripe_gateway, manager, correction_id=unknown.id)

    assert settled.status == "executed" and settled.result["found_in_stripe"] is True
    assert refunds(fake_stripe, business) == 1 and fake_stripe.calls["POST /v1/refunds"] == 1
    session.expire_all()
    assert session.get(StripePayment, business.charge["id"]).amount_refunded == 3000


def test_response_lost_and_settled_after_stripe_forgot_the_key(
    session, engine, fake_stripe, stripe_gateway, business, manager
):
    fake_stripe.lose_response_next(r"POST /v1/refunds")
    unknown = workflow.submit(engine, stripe_gateway, manager, refund_form(stripe_gateway, business))
    fake_stripe.advance(2 * DAY)  # the key is pruned: only the metadata search can tell

    report = workflow.resolve_all(engine, stripe_gateway, manager)

    assert report.settled == {"executed": 1}
    [row] = corrections(session)
    assert row.id == unknown.id and row.status == "executed"
    assert refunds(fake_stripe, business) == 1


# -- a read after a successful write fails -----------------------------------------------------------


def test_500_on_the_read_after_the_write_keeps_it_executed_and_the_mirror_catches_up(
    session, engine, fake_stripe, stripe_gateway, business, manager
):
    form = refund_form(stripe_gateway, business)
    fake_stripe.fail_next(r"GET /v1/charges/", status=500, times=20, after=1)  # the check's read passes

    done = workflow.submit(engine, stripe_gateway, manager, form)

    assert done.status == "executed" and done.mirrored_at is None
    session.expire_all()
    assert session.get(StripePayment, business.charge["id"]).amount_refunded == 0  # not re-read yet
    fake_stripe._faults.clear()
    report = workflow.resolve_all(engine, stripe_gateway, manager)
    assert report.mirrors_refreshed == 1 and report.settled == {}
    session.expire_all()
    assert session.get(StripePayment, business.charge["id"]).amount_refunded == 3000
    assert refunds(fake_stripe, business) == 1 and fake_stripe.calls["POST /v1/refunds"] == 1


def test_500_on_the_invoice_read_after_a_credit_note_keeps_it_executed(
    engine, fake_stripe, stripe_gateway, business, manager
):
    form = form_for(
        stripe_gateway,
        "credit_note",
        business.invoice["id"],
        business.account_id,
        amount="25.00",
        credit_outcome="refund",
    )
    fake_stripe.fail_next(r"GET /v1/invoices/", status=500, times=20, after=1)

    done = workflow.submit(engine, stripe_gateway, manager, form)

    assert done.status == "executed"
    assert len(fake_stripe.store["credit_notes"]) == 1 and refunds(fake_stripe, business) == 1


# -- a crash between Stripe's answer and the store ---------------------------------------------------


@pytest.fixture
def crash_after_stripe(monkeypatch):
    """The process dies after Stripe answered and before the answer is stored (once)."""
    real = workflow._record
    crashes = []

    def record(*args, **kwargs):
        if not crashes:
            crashes.append(1)
            raise RuntimeError("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(workflow, "_record", record)


@pytest.mark.parametrize(
    "later", [timedelta(minutes=6), timedelta(days=2)], ids=["within-key-life", "key-expired"]
)
def test_crash_between_stripe_and_the_store_is_settled_by_the_job(
    engine, fake_stripe, stripe_gateway, business, manager, crash_after_stripe, later
):
    start = clock.now()
    with clock.frozen_at(start):
        stored = workflow.store(engine, stripe_gateway, manager, refund_form(stripe_gateway, business))
        with pytest.raises(RuntimeError):
            workflow.send(engine, stripe_gateway, manager, correction_id=stored.id)
        # still being sent as far as anyone can tell: nobody may send it again yet
        assert (
            workflow.check_now(engine, stripe_gateway, manager, correction_id=stored.id).status == "sending"
        )
        assert workflow.send(engine, stripe_gateway, manager, correction_id=stored.id).status == "sending"
    fake_stripe.advance(int(later.total_seconds()))

    with clock.frozen_at(start + later):
        report = workflow.resolve_all(engine, stripe_gateway, manager)

    assert report.settled == {"executed": 1}
    assert refunds(fake_stripe, business) == 1 and fake_stripe.calls["POST /v1/refunds"] == 1


# -- two tabs, two processes, a double click ---------------------------------------------------------


def test_two_browsers_sending_the_same_correction_refund_once(engine, fake_stripe, business, manager):
    stored = workflow.store(engine, _slow(fake_stripe), manager, refund_form(_slow(fake_stripe), business))
    fake_stripe.hang_next(r"POST /v1/refunds", seconds=0.5)
    statuses: list[str] = []

    def browser() -> None:
        statuses.append(workflow.send(engine, _slow(fake_stripe), manager, correction_id=stored.id).status)

    tabs = [threading.Thread(target=browser) for _ in range(2)]
    for tab in tabs:
        tab.start()
    for tab in tabs:
        tab.join()

    assert "executed" in statuses and refunds(fake_stripe, business) == 1
    assert fake_stripe.calls["POST /v1/refunds"] == 1


def _slow(fake) -> StripeGateway:
    return StripeGateway(TEST_KEY, api_base=fake.url, max_network_retries=0, timeout=5)


def send_once(url: str, api_base: str, actor: dict, correction_id: int) -> str:
    """What each of the two processes runs: send the correction, print the status it ended in."""
    engine = make_engine(url)
    gateway = StripeGateway(TEST_KEY, api_base=api_base, max_network_retries=0, timeout=10)
    status = str(workflow.send(engine, gateway, Actor(**actor), correction_id=correction_id).status)
    engine.dispose()
    return status


def _send_in_a_process(url: str, api_base: str, actor: Actor, correction_id: int) -> subprocess.Popen:
    # A fresh interpreter, not multiprocessing: after an AppTest ran in this worker, spawn would re-run
    # the app's script as the child's __main__.
    code = (
        "import json, sys; from tests.test_correction_faults import send_once; "
        "print(send_once(*json.loads(sys.argv[1])))"
    )
    arguments = json.dumps([url, api_base, asdict(actor), correction_id])
    return subprocess.Popen(
        [sys.executable, "-c", code, arguments], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True
    )


def test_two_processes_sending_the_same_correction_refund_once(engine, fake_stripe, business, manager):
    gateway = _slow(fake_stripe)
    stored = workflow.store(engine, gateway, manager, refund_form(gateway, business))
    fake_stripe.hang_next(r"POST /v1/refunds", seconds=2.0)
    url = engine.url.render_as_string(hide_password=False)
    workers = [_send_in_a_process(url, fake_stripe.url, manager, stored.id) for _ in range(2)]

    statuses = sorted(worker.communicate(timeout=120)[0].strip().splitlines()[-1] for worker in workers)
    assert [worker.returncode for worker in workers] == [0, 0]
    assert "executed" in statuses and set(statuses) <= {"executed", "sending"}
    assert refunds(fake_stripe, business) == 1 and fake_stripe.calls["POST /v1/refunds"] == 1


# -- no Stripe call inside a store transaction -------------------------------------------------------


class ProbingGateway(StripeGateway):
    """Before every Stripe request, checks that no store transaction is open (another writer gets in
    at once on SQLite; PostgreSQL shows no session idle in a transaction)."""

    def __init__(self, engine, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.engine = engine
        self.probes = 0

    def _call(self, call):
        with self.engine.connect() as conn:
            if self.engine.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA busy_timeout = 100")
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # fails with "database is locked" if a write is held
            else:
                held = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
                assert held == 0, "a store transaction is open during a Stripe call"
            conn.rollback()
        self.probes += 1
        return super()._call(call)


def test_no_stripe_call_happens_inside_a_store_transaction(session, engine, fake_stripe, business, manager):
    form = refund_form(_slow(fake_stripe), business)
    session.close()
    probing = ProbingGateway(engine, TEST_KEY, api_base=fake_stripe.url, max_network_retries=0, timeout=5)
    fake_stripe.lose_response_next(r"POST /v1/refunds")

    unknown = workflow.submit(engine, probing, manager, form)
    settled = workflow.check_now(engine, probing, manager, correction_id=unknown.id)

    assert settled.status == "executed" and probing.probes >= 4  # check, refund, look, charge re-read
    assert refunds(fake_stripe, business) == 1


# -- thresholds that cannot be split -----------------------------------------------------------------


def test_ten_small_refunds_cannot_pass_a_threshold_one_large_one_waits_for(
    session, engine, fake_stripe, stripe_gateway, business, manager, monkeypatch
):
    monkeypatch.setenv("CORRECTION_APPROVAL_THRESHOLD_MINOR", "1000")  # 10.00 USD
    reset_settings_cache()
    try:
        large = workflow.store(
            engine, stripe_gateway, manager, refund_form(stripe_gateway, business, "90.00")
        )
        assert large.status == "pending_approval"
        statuses = [
            workflow.submit(
                engine, stripe_gateway, manager, refund_form(stripe_gateway, business, "9.00")
            ).status
            for _ in range(10)
        ]
    finally:
        reset_settings_cache()

    # 9.00 EUR is 9.90 USD: alone it passes; with the 99.00 USD already waiting none does
    assert statuses == ["pending_approval"] * 10
    assert refunds(fake_stripe, business) == 0 and posts(fake_stripe) == 0


def test_small_refunds_pass_until_their_sum_reaches_the_threshold(
    engine, fake_stripe, stripe_gateway, business, manager, monkeypatch
):
    monkeypatch.setenv("CORRECTION_APPROVAL_THRESHOLD_MINOR", "1000")
    reset_settings_cache()
    try:
        statuses = [
            workflow.submit(
                engine, stripe_gateway, manager, refund_form(stripe_gateway, business, "9.00")
            ).status
            for _ in range(10)
        ]
    finally:
        reset_settings_cache()

    assert statuses == ["executed"] + ["pending_approval"] * 9
    assert refunds(fake_stripe, business) == 1


# -- amounts mean one thing --------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["1,50", "1.234,50", "١٢", "1e3", " 12 "])
def test_bad_amounts_are_refused_with_nothing_written_or_sent(
    session, engine, fake_stripe, stripe_gateway, business, manager, typed
):
    with pytest.raises(ValidationError) as refused:
        workflow.submit(engine, stripe_gateway, manager, refund_form(stripe_gateway, business, typed))

    assert refused.value.field == "amount" and "e.g. 12.50 EUR" in refused.value.message
    assert corrections(session) == [] and posts(fake_stripe) == 0 and refunds(fake_stripe, business) == 0


# -- the scheduled job -------------------------------------------------------------------------------


def test_the_resolve_command_settles_unknown_corrections(
    session, engine, fake_stripe, stripe_gateway, business, manager, monkeypatch, tmp_path
):
    fake_stripe.lose_response_next(r"POST /v1/refunds")
    unknown = workflow.submit(engine, stripe_gateway, manager, refund_form(stripe_gateway, business))
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STRIPE_API_KEY", TEST_KEY)
    monkeypatch.setenv("STRIPE_API_BASE", fake_stripe.url)
    reset_settings_cache()
    try:
        result = CliRunner().invoke(app, ["corrections", "resolve"])
    finally:
        reset_settings_cache()

    assert result.exit_code == 0, result.output
    assert "executed 1" in result.output
    [row] = corrections(session)
    assert row.id == unknown.id and row.status == "executed" and refunds(fake_stripe, business) == 1
