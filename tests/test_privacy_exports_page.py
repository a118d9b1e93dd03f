"""The "Exports and deletions" page under AppTest: roles, an export and a deletion against the fakes
(Stripe via STRIPE_API_KEY/STRIPE_API_BASE, Zendesk via a stored connection and ZENDESK_API_BASE), and
the store-only mode that says which systems are not configured."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from dashboard.access.identity import SYSTEM
from dashboard.core.settings import reset_settings_cache
from dashboard.simulators.stripe import TEST_KEY
from dashboard.zendesk import connections as zendesk_connections
from models import AuditEvent, DataExport, PrivacyRequestStep
from tests.privacy_world import build_world, open_request

PAGE = "app_pages/privacy_exports.py"


@pytest.fixture
def outside_systems(app_env, session, fake_stripe, fake_zendesk, monkeypatch):
    """Point the console at the fakes the way an operator would: settings and a Zendesk connection."""
    monkeypatch.setenv("STRIPE_API_KEY", TEST_KEY)
    monkeypatch.setenv("STRIPE_API_BASE", fake_stripe.url)
    monkeypatch.setenv("ZENDESK_API_BASE", fake_zendesk.base_url)
    monkeypatch.setenv("ZENDESK_RATELIMIT_BUDGET_SECONDS", "1")
    reset_settings_cache()
    world = build_world(
        session,
        fake_stripe,
        fake_zendesk,
        [("Ann Lee", "ann@acme.example"), ("Bob Stone", "bob@acme.example")],
    )
    zendesk_connections.add_connection(
        session, SYSTEM, subdomain=world.subdomain, email="api@company.test", token="good-token"
    )
    session.commit()
    return world


@pytest.mark.parametrize("role", ["account_manager", "executive"])
def test_other_roles_are_stopped(run_page, make_user, role) -> None:
    at = run_page(PAGE, make_user(role))
    assert any("cannot open" in e.value for e in at.error)
    assert not at.button and not at.dataframe


@pytest.mark.parametrize("role", ["privacy_officer", "admin"])
def test_export_built_from_the_page_against_the_fakes(
    run_page, make_user, session, outside_systems, role
) -> None:
    actor = make_user(role)
    request = open_request(session, actor, outside_systems.people[0])
    at = run_page(PAGE, actor, query={"request": str(request.id)})
    assert not at.exception and not at.warning  # every system configured
    searched = "Systems searched: The console's store · Stripe · Zendesk"
    assert f"{searched} (1 account)" in [c.value for c in at.caption]
    next(b for b in at.button if b.label == "Build export").click()
    at.run()
    assert not at.exception, at.exception
    session.expire_all()
    export = session.exec(select(DataExport)).one()
    assert export.status == "complete", export.incomplete_reason
    # said in the run that built it: where the subject was found
    found = f"{searched} (found in 1 account: {outside_systems.subdomain}; 1 account searched)"
    assert found in [c.value for c in at.caption]
    assert export.sources["stripe"]["counts"]["stripe_customers"] == 1
    assert export.sources["zendesk"]["counts"]["zendesk_comments"] == 2
    assert any(b.label == f"Download export #{export.id}" for b in at.get("download_button"))


def test_store_only_export_says_which_systems_are_not_configured(run_page, make_user, session) -> None:
    from tests.privacy_helpers import add_account_with_contact

    actor = make_user("privacy_officer")
    contact = add_account_with_contact(session, "lone@acme.example")
    request = open_request(session, actor, _person(contact.name, contact.email))
    at = run_page(PAGE, actor, query={"request": str(request.id)})
    warnings = " ".join(w.value for w in at.warning)
    assert "Stripe is not configured" in warnings and "Zendesk is not configured" in warnings
    next(b for b in at.button if b.label == "Build export").click()
    at.run()
    session.expire_all()
    export = session.exec(select(DataExport)).one()
    assert export.status == "incomplete"
    assert export.sources["store"]["counts"]["contact"] == 1
    assert {export.sources[s]["status"] for s in ("stripe", "zendesk")} == {"not_configured"}


def test_deletion_plan_confirm_and_run_from_the_page(
    run_page, make_user, session, outside_systems, fake_stripe
) -> None:
    actor = make_user("privacy_officer")
    ann = outside_systems.people[0]
    request = open_request(session, actor, ann, type="deletion")
    at = run_page(PAGE, actor, query={"request": str(request.id)})
    next(b for b in at.button if b.label == "Prepare the deletion plan").click()
    at.run()
    assert not at.exception, at.exception
    plan_text = at.dataframe[0].value.to_string()
    assert "paid invoice" in plan_text and "Tax law" in plan_text
    confirm = next(b for b in at.button if b.label == "Confirm the plan")
    assert confirm.disabled  # the open subscription needs acknowledging first, and the page says so
    assert any("open subscriptions" in c.value for c in at.caption)
    session.expire_all()
    assert session.exec(select(PrivacyRequestStep)).all() == []

    at.checkbox(key=f"confirm_cancellation_{request.id}").check().run()
    next(b for b in at.button if b.label == "Confirm the plan").click()
    at.run()
    next(b for b in at.button if b.label == "Run the remaining steps").click()
    at.run()
    assert not at.exception, at.exception
    session.expire_all()
    steps = session.exec(select(PrivacyRequestStep)).all()
    assert {(s.system, s.status) for s in steps} == {
        ("store", "done"),
        ("stripe", "done"),
        ("zendesk", "done"),
    }
    assert fake_stripe.store["customers"][ann.customer["id"]].get("deleted") is True
    assert any(b.label == "Download the deletion record (JSON)" for b in at.get("download_button"))
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.action.like("deletion_%"))).all()
    assert actions.count("deletion_step_done") == 3


def _person(name: str, email: str):
    from tests.privacy_world import Person

    return Person(name=name, email=email, marker="")


def test_build_export_is_disabled_with_the_reason_while_identity_is_unverified(
    run_page, make_user, session
) -> None:
    from dashboard.privacy import requests

    actor = make_user("privacy_officer")
    request = requests.create_request(
        session,
        actor,
        type="access",
        subject_name="Una Verified",
        subject_email="una@acme.example",
        jurisdiction="uk_gdpr",
        received_on=date(2026, 3, 2),
        today=date(2026, 3, 2),
        subject_kind="customer_contact",
    )
    session.commit()
    at = run_page(PAGE, actor, query={"request": str(request.id)})

    build = next(b for b in at.button if b.label == "Build export")
    assert build.disabled and build.type != "primary"
    assert any("Confirm the subject's identity" in c.value for c in at.caption)
    assert session.exec(select(DataExport)).all() == []
