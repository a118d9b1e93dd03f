"""The Exports and deletions screen without Streamlit: which request is shown, its rows, and why an
action cannot succeed yet."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from dashboard.privacy import requests
from dashboard.privacy.deletions.plan import DeletionPlan, PlanLine
from dashboard.privacy.exports.systems import Systems, ZendeskTarget
from dashboard.privacy.exports_screen import confirm_blocked, exports_screen, plan_rows, systems_searched
from models import DataExport


def _request(session: Session, actor, *, type: str, email: str, confirmed: bool):
    request = requests.create_request(
        session,
        actor,
        type=type,
        subject_name="Una Person",
        subject_email=email,
        jurisdiction="uk_gdpr",
        received_on=date(2026, 3, 2),
        today=date(2026, 3, 2),
        subject_kind="customer_contact",
    )
    if confirmed:
        requests.change_status(
            session, actor, request_id=request.id, status="in_progress", expected_version=request.version
        )
    session.commit()
    return request


def test_unverified_requests_block_export_and_deletion_with_the_reason(session: Session, make_user) -> None:
    actor = make_user("privacy_officer")
    access = _request(session, actor, type="access", email="una@acme.example", confirmed=False)
    erase = _request(session, actor, type="deletion", email="una@acme.example", confirmed=False)

    export_screen = exports_screen(session, actor, str(access.id))
    deletion_screen = exports_screen(session, actor, str(erase.id))

    assert export_screen.wants_export and "Confirm the subject's identity" in export_screen.build_blocked
    assert deletion_screen.wants_deletion and "Confirm the subject's identity" in deletion_screen.plan_blocked
    assert export_screen.exports.empty and deletion_screen.steps.empty


def test_a_verified_request_lists_its_exports_newest_first(session: Session, make_user) -> None:
    actor = make_user("privacy_officer")
    access = _request(session, actor, type="access", email="una@acme.example", confirmed=True)
    session.add_all(
        [
            DataExport(request_id=access.id, status="complete", created_by=actor.email, size_bytes=2048),
            DataExport(
                request_id=access.id,
                status="incomplete",
                created_by=actor.email,
                incomplete_reason="Stripe: 500",
            ),
        ]
    )
    session.commit()

    screen = exports_screen(session, actor, str(access.id))

    assert screen.build_blocked is None
    rows = screen.exports
    assert rows["status"].tolist() == ["incomplete", "complete"]
    assert rows["size_kb"].tolist() == [0.0, 2.0]
    assert rows["cut_short"].iloc[0] == "Stripe: 500" and rows["cut_short"].isna().iloc[1]  # shown as "—"
    assert screen.downloadable == []  # neither has a file


def test_the_address_picks_the_request_and_a_bad_one_is_refused(session: Session, make_user) -> None:
    actor = make_user("privacy_officer")
    first = _request(session, actor, type="access", email="one@acme.example", confirmed=True)
    second = _request(session, actor, type="deletion", email="two@acme.example", confirmed=True)

    assert exports_screen(session, actor, None).request.id == second.id  # newest open request
    assert exports_screen(session, actor, str(first.id)).request.id == first.id
    assert exports_screen(session, actor, "abc").problem == "No such request."
    assert exports_screen(session, actor, "999999").request is None


def test_confirming_a_plan_with_open_subscriptions_needs_the_tick() -> None:
    plan = DeletionPlan(
        request_id=1,
        lines=[PlanLine("stripe", "keep", "2 paid invoices", "Tax law")],
        open_subscriptions=[{"id": "sub_1", "status": "past_due"}],
    )

    assert "open subscriptions" in confirm_blocked(plan, cancellation_confirmed=False)
    assert confirm_blocked(plan, cancellation_confirmed=True) is None
    assert plan_rows(plan).to_dict("records") == [
        {"system": "Stripe", "action": "keep", "what": "2 paid invoices", "why": "Tax law"}
    ]


def _systems(*subdomains: str) -> Systems:
    return Systems(stripe=None, zendesk=[ZendeskTarget(s, None, lambda: None) for s in subdomains])


def test_systems_searched_counts_the_zendesk_accounts_and_names_only_where_the_subject_was_found(
    session: Session, make_user
) -> None:
    actor = make_user("privacy_officer")
    access = _request(session, actor, type="access", email="una@acme.example", confirmed=True)
    demo = _systems(*(f"client{n:03}" for n in range(113)))
    before = exports_screen(session, actor, str(access.id))
    assert before.zendesk_reach is None
    assert systems_searched(demo, before.zendesk_reach) == (
        "Systems searched: The console's store · Zendesk (113 accounts)"
    )
    for found_in in (["foo", "acme"], ["acme", "bar", "baz", "foo", "qux"]):
        session.add(
            DataExport(
                request_id=access.id,
                status="complete",
                sources={"zendesk": {"status": "done", "accounts_searched": 113, "found_in": found_in}},
            )
        )
        session.commit()
        reach = exports_screen(session, actor, str(access.id)).zendesk_reach  # the newest export's
        assert reach["found_in"] == found_in
    assert systems_searched(demo, {"accounts_searched": 113, "found_in": ["foo", "acme"]}) == (
        "Systems searched: The console's store · Zendesk "
        "(found in 2 accounts: acme, foo; 113 accounts searched)"
    )
    assert systems_searched(demo, reach) == (
        "Systems searched: The console's store · Zendesk "
        "(found in 5 accounts: acme, bar, baz and 2 more; 113 accounts searched)"
    )
    assert systems_searched(_systems("acme"), {"accounts_searched": 1, "found_in": []}) == (
        "Systems searched: The console's store · Zendesk (1 account searched, the subject found in none)"
    )
    assert systems_searched(_systems(), None) == "Systems searched: The console's store"
