"""Deletions: the plan, confirmation of open subscriptions, steps per system that resume after a crash
without repeating a finished step, 429/500 from Stripe and Zendesk, the processor rule, the record."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from dashboard.core.errors import ValidationError
from dashboard.privacy import requests
from dashboard.privacy.deletions import plan as planning
from dashboard.privacy.deletions import steps as deletion
from dashboard.privacy.exports.store import actor_hashes
from models import AuditEvent, Contact, PrivacyRequestStep, UsageEvent
from tests.privacy_world import build_world, open_request, systems_for
from tests.virtual_time import VirtualTimer


def _world(session, fake_stripe, fake_zendesk, **kwargs):
    return build_world(
        session,
        fake_stripe,
        fake_zendesk,
        [("Ann Lee", "ann@acme.example"), ("Bob Stone", "bob@acme.example")],
        **kwargs,
    )


def _confirmed(session, officer, world, fake_stripe, fake_zendesk, *, processor=False, **systems_kwargs):
    person = world.people[0]
    request = open_request(
        session,
        officer,
        person,
        type="deletion",
        processor=processor,
        account_id=world.account_id if processor else None,
    )
    systems = systems_for(world, fake_stripe, fake_zendesk, **systems_kwargs)
    plan = planning.build_plan(session, request, systems)
    steps = deletion.confirm_plan(
        session,
        officer,
        request_id=request.id,
        plan=plan,
        cancellation_confirmed=True,
        systems_unavailable={},
    )
    session.commit()
    return request, systems, steps


def _run_all(session, officer, request_id, systems):
    for step in deletion.deletion_steps(session, request_id):
        deletion.run_step(session, officer, step_id=step.id, systems=systems)
        session.commit()
    return {s.system: s for s in deletion.deletion_steps(session, request_id)}


def test_the_plan_says_what_is_deleted_and_what_is_kept(session, make_user, fake_stripe, fake_zendesk):
    world = _world(session, fake_stripe, fake_zendesk)
    officer = make_user("privacy_officer")
    request = open_request(session, officer, world.people[0], type="deletion")
    plan = planning.build_plan(session, request, systems_for(world, fake_stripe, fake_zendesk))

    ann = world.people[0]
    assert plan.targets["stripe_customers"] == [ann.customer["id"]]
    assert plan.targets["zendesk_users"] == [
        {"subdomain": world.subdomain, "account_id": world.account_id, "user_id": ann.zendesk_user["id"]}
    ]
    assert plan.targets["contact_ids"] == [ann.contact_id]
    assert plan.open_subscriptions == [
        {"id": ann.subscription["id"], "customer": ann.customer["id"], "status": "active"}
    ]
    kept = [line for line in plan.lines if line.action == "keep"]
    assert any("1 paid invoice" in line.what and "Tax law" in line.why for line in kept)
    with pytest.raises(ValidationError, match="still open") as refused:
        deletion.confirm_plan(
            session,
            officer,
            request_id=request.id,
            plan=plan,
            cancellation_confirmed=False,
            systems_unavailable={},
        )
    assert refused.value.field == "confirm_cancellation"
    assert session.exec(select(PrivacyRequestStep)).all() == []


def test_steps_delete_verify_and_leave_other_people_alone(session, make_user, fake_stripe, fake_zendesk):
    world = _world(session, fake_stripe, fake_zendesk)
    officer = make_user("privacy_officer")
    request, systems, _ = _confirmed(session, officer, world, fake_stripe, fake_zendesk)
    ann, bob = world.people
    ann_hash = actor_hashes([{"account_id": world.account_id, "user_id": ann.zendesk_user["id"]}])

    steps = _run_all(session, officer, request.id, systems)

    assert {s: (step.status, step.last_error) for s, step in steps.items()} == {
        "store": ("done", None),
        "stripe": ("done", None),
        "zendesk": ("done", None),
    }
    assert all(step.verified_at is not None for step in steps.values())
    contact = session.get(Contact, ann.contact_id)
    assert contact.email.endswith("@erased.invalid") and contact.name == "Erased person"
    assert session.get(Contact, bob.contact_id).email == "bob@acme.example"
    assert (
        session.exec(
            select(func.count()).select_from(UsageEvent).where(UsageEvent.actor_hash.in_(ann_hash))
        ).one()
        == 0
    )
    anonymised = session.exec(select(UsageEvent).where(UsageEvent.agent_id.is_(None))).all()
    assert len(anonymised) == 3 and {e.ip_address for e in anonymised} == {None}
    assert len({e.actor_hash for e in anonymised}) == 1  # still one (unlinkable) actor
    assert fake_stripe.store["customers"][ann.customer["id"]].get("deleted") is True
    assert not fake_stripe.store["customers"][bob.customer["id"]].get("deleted")
    assert fake_stripe.store["subscriptions"][ann.subscription["id"]]["status"] == "canceled"
    assert fake_stripe.store["invoices"]  # invoices remain
    users = [u["email"] for u in world.zendesk_account.records["users"]]
    assert "ann@acme.example" not in users and "bob@acme.example" in users
    assert world.zendesk_account.records.get("deleted_users") == []  # permanently deleted
    record = deletion.deletion_record(session, request.id)
    assert record["complete"] is True and record["plan_confirmed_by"] == officer.email
    assert [(s["system"], s["done_by"]) for s in record["steps"]] == [
        ("store", officer.email),
        ("stripe", officer.email),
        ("zendesk", officer.email),
    ]
    audited = session.exec(select(AuditEvent.action).where(AuditEvent.action.like("deletion_%"))).all()
    assert audited == ["deletion_plan_confirmed"] + ["deletion_step_done"] * 3


def test_a_crash_between_steps_then_resume_repeats_no_finished_step(
    session, make_user, fake_stripe, fake_zendesk
):
    world = _world(session, fake_stripe, fake_zendesk)
    officer = make_user("privacy_officer")
    request, systems, steps = _confirmed(session, officer, world, fake_stripe, fake_zendesk)
    store, stripe, _zendesk = steps
    deletion.run_step(session, officer, step_id=store.id, systems=systems)
    deletion.run_step(session, officer, step_id=stripe.id, systems=systems)
    session.commit()
    session.close()  # the console dies here, before the Zendesk step

    resumed = _run_all(session, officer, request.id, systems)

    assert {s: (step.status, step.attempts) for s, step in resumed.items()} == {
        "store": ("done", 1),
        "stripe": ("done", 1),
        "zendesk": ("done", 1),
    }
    assert fake_stripe.calls[f"DELETE /v1/customers/{world.people[0].customer['id']}"] == 1
    zendesk_deletes = [c for c in fake_zendesk.calls if c[1] == "DELETE"]
    assert len(zendesk_deletes) == 2  # one soft, one permanent


def test_stripe_429_and_500_fail_the_step_which_is_retried_alone(
    session, make_user, fake_stripe, fake_zendesk
):
    world = _world(session, fake_stripe, fake_zendesk)
    officer = make_user("privacy_officer")
    request, systems, _ = _confirmed(session, officer, world, fake_stripe, fake_zendesk)
    customer = world.people[0].customer["id"]
    fake_stripe.fail_next(rf"DELETE /v1/customers/{customer}", status=500, times=5)

    steps = _run_all(session, officer, request.id, systems)
    assert steps["stripe"].status == "failed" and "500" in steps["stripe"].last_error
    assert steps["store"].status == "done" and steps["zendesk"].status == "done"
    assert deletion.deletion_record(session, request.id)["complete"] is False

    fake_stripe._faults.clear()
    fake_stripe.fail_next(rf"DELETE /v1/customers/{customer}", status=429, times=1)  # retried by the gateway
    zendesk_calls = len(fake_zendesk.calls)
    step = deletion.run_step(session, officer, step_id=steps["stripe"].id, systems=systems)
    session.commit()
    assert (step.status, step.attempts, step.last_error) == ("done", 2, None)
    assert len(fake_zendesk.calls) == zendesk_calls


def test_a_second_delete_that_finds_nothing_counts_as_done(session, make_user, fake_stripe, fake_zendesk):
    world = _world(session, fake_stripe, fake_zendesk)
    officer = make_user("privacy_officer")
    request, systems, _ = _confirmed(session, officer, world, fake_stripe, fake_zendesk)
    ann = world.people[0]
    fake_stripe.delete("customers", ann.customer["id"])  # someone deleted it in Stripe's dashboard meanwhile
    client = systems.zendesk[0].client
    client.soft_delete_user(ann.zendesk_user["id"])

    steps = _run_all(session, officer, request.id, systems)
    assert steps["stripe"].status == "done"
    assert steps["stripe"].result["progress"]["already_gone"] == [ann.customer["id"]]
    assert steps["zendesk"].status == "done"


def test_zendesk_429_past_budget_and_500_fail_the_zendesk_step(session, make_user, fake_stripe, fake_zendesk):
    world = _world(session, fake_stripe, fake_zendesk)
    officer = make_user("privacy_officer")
    _request, systems, steps = _confirmed(session, officer, world, fake_stripe, fake_zendesk, budget=1)
    zendesk = steps[2]
    world.zendesk_account.fail_next(status=429, retry_after=5)
    step = deletion.run_step(session, officer, step_id=zendesk.id, systems=systems)
    assert step.status == "failed" and "429" in step.last_error
    world.zendesk_account.fail_next(status=500)
    step = deletion.run_step(session, officer, step_id=zendesk.id, systems=systems)
    assert step.status == "failed" and "500" in step.last_error
    step = deletion.run_step(session, officer, step_id=zendesk.id, systems=systems)
    assert (step.status, step.attempts) == ("done", 3)


def test_the_zendesk_check_searches_again_while_search_lags_the_deletion(
    session, make_user, fake_stripe, fake_zendesk
):
    timer = VirtualTimer()
    fake_zendesk.clock = timer.now
    world = _world(session, fake_stripe, fake_zendesk)
    world.zendesk_account.search_lag_seconds = 20  # search lists Ann for 20 s after her deletion
    officer = make_user("privacy_officer")
    _request, systems, steps = _confirmed(
        session, officer, world, fake_stripe, fake_zendesk, timer=timer, check_window=60
    )

    step = deletion.run_step(session, officer, step_id=steps[2].id, systems=systems)

    assert (step.status, step.last_error) == ("done", None) and step.verified_at is not None
    assert 20 <= timer.elapsed <= 30  # searched at 0, 2, 6, 14 and 30 s: the first empty answer ends it


def test_the_zendesk_check_reports_still_found_after_its_window(
    session, make_user, fake_stripe, fake_zendesk
):
    timer = VirtualTimer()
    fake_zendesk.clock = timer.now
    world = _world(session, fake_stripe, fake_zendesk)
    world.zendesk_account.search_lag_seconds = 600
    officer = make_user("privacy_officer")
    _request, systems, steps = _confirmed(
        session, officer, world, fake_stripe, fake_zendesk, timer=timer, check_window=60
    )
    searches_before = len([c for c in fake_zendesk.calls if c[2].endswith("search.json")])

    step = deletion.run_step(session, officer, step_id=steps[2].id, systems=systems)

    searches = len([c for c in fake_zendesk.calls if c[2].endswith("search.json")]) - searches_before
    assert step.status == "failed"
    assert "still found Zendesk users: 1" in step.last_error and "backoff for 60 s" in step.last_error
    assert searches == 5 and timer.elapsed == 30  # 0, 2, 6, 14, 30; the next (62 s) is past the window
    timer.sleep_until(timer.now() + 600)  # the index catches up; the retry only checks again
    step = deletion.run_step(session, officer, step_id=steps[2].id, systems=systems)
    assert step.status == "done"
    assert not [c for c in fake_zendesk.calls[-3:] if c[1] == "DELETE"]


def test_processor_request_deletes_nothing_before_the_clients_instruction(
    session, make_user, fake_stripe, fake_zendesk
):
    world = _world(session, fake_stripe, fake_zendesk)
    officer = make_user("privacy_officer")
    request, systems, steps = _confirmed(session, officer, world, fake_stripe, fake_zendesk, processor=True)
    assert request.status == "awaiting_client"

    for step in steps:
        with pytest.raises(ValidationError, match="client's instruction"):
            deletion.run_step(session, officer, step_id=step.id, systems=systems)
    assert [c for c in fake_zendesk.calls if c[1] == "DELETE"] == []
    assert fake_stripe.calls_to("/v1/customers/cus") == 0
    assert {s.status for s in deletion.deletion_steps(session, request.id)} == {"pending"}

    session.refresh(request)
    requests.record_client_instruction(
        session,
        officer,
        request_id=request.id,
        expected_version=request.version,
        instruction="Client ticket #88: delete the end user.",
    )
    session.commit()
    done = _run_all(session, officer, request.id, systems)
    assert done["zendesk"].status == "done"
    assert len([c for c in fake_zendesk.calls if c[1] == "DELETE"]) == 2


def test_an_unconfigured_system_is_skipped_and_said_so(session, make_user, fake_stripe, fake_zendesk):
    world = _world(session, fake_stripe, fake_zendesk)
    officer = make_user("privacy_officer")
    request = open_request(session, officer, world.people[0], type="deletion")
    systems = systems_for(world, fake_stripe, fake_zendesk)
    systems.stripe = None
    systems.unavailable["stripe"] = "Stripe is not configured."
    plan = planning.build_plan(session, request, systems)
    assert [(line.action, line.what) for line in plan.lines if line.system == "stripe"] == [
        ("not searched", "Stripe is not configured.")
    ]
    steps = deletion.confirm_plan(
        session,
        officer,
        request_id=request.id,
        plan=plan,
        cancellation_confirmed=False,
        systems_unavailable=systems.unavailable,
    )
    assert [(s.system, s.status) for s in steps] == [
        ("store", "pending"),
        ("stripe", "skipped"),
        ("zendesk", "pending"),
    ]
    with pytest.raises(ValidationError, match="already confirmed"):
        deletion.confirm_plan(
            session,
            officer,
            request_id=request.id,
            plan=plan,
            cancellation_confirmed=True,
            systems_unavailable={},
        )
