"""The data map is complete: every table described, every personal-looking column categorised, every
personal column either exported or excluded with a reason and either erased or kept with a reason; and
the store's export and deletion do what the map claims."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table
from sqlmodel import Session, SQLModel, select

from dashboard.privacy import data_map as dm
from dashboard.privacy.exports.parts import no_progress
from dashboard.privacy.exports.store import collect_store
from models import Contact, StripeCustomer
from models.data_map import NOT_PERSONAL, TABLES
from tests.privacy_helpers import add_account_with_contact


def test_every_table_has_purpose_legal_basis_retention_and_source() -> None:
    assert set(SQLModel.metadata.tables) == set(TABLES), "describe new tables in models/data_map.py TABLES"
    for name, info in TABLES.items():
        assert info.purpose and info.retention and info.source and info.legal_basis, name


def test_every_personal_looking_column_declares_a_category() -> None:
    assert dm.undeclared_columns() == []
    stale = {key for key in NOT_PERSONAL if key.split(".")[0] not in SQLModel.metadata.tables}
    assert not stale


def test_a_new_personal_column_without_a_category_fails() -> None:
    metadata = MetaData()
    Table(
        "newsletter_signups",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("signup_email", String(320)),
        Column("full_name", String(200), info={"personal_data": "name"}),
    )
    assert dm.undeclared_columns(metadata) == ["newsletter_signups.signup_email"]
    assert [c.key for c in dm.personal_columns(metadata)] == ["newsletter_signups.full_name"]


def test_every_personal_column_is_exported_or_excluded_and_erased_or_kept() -> None:
    keys = {c.key for c in dm.personal_columns()}
    assert keys, "no personal columns found: the declarations are not read"
    missing_export = sorted(keys - set(dm.EXPORT))
    missing_deletion = sorted(keys - set(dm.DELETION))
    assert not missing_export, f"say whether the export carries these: {missing_export}"
    assert not missing_deletion, f"say whether the deletion erases these: {missing_deletion}"
    assert not set(dm.EXPORT) - keys and not set(dm.DELETION) - keys, "the map names columns that are gone"
    for key in keys:
        export, deletion = dm.EXPORT[key], dm.DELETION[key]
        assert (isinstance(export, dm.Exported) and export.where) or (
            isinstance(export, dm.Excluded) and export.why
        )
        assert (isinstance(deletion, dm.Erased) and deletion.how) or (
            isinstance(deletion, dm.Kept) and deletion.why
        )


def test_the_issue_categories_are_declared_where_expected() -> None:
    got = {c.key: c.category for c in dm.personal_columns()}
    assert got["contacts.email"] == "contact_email"
    assert got["contacts.name"] == "name"
    assert got["contacts.phone"] == "phone"
    assert got["usage_events.ip_address"] == "ip_address"
    assert got["usage_agents.user_agent"] == "device_data"
    assert got["stripe_payments.card_last4"] == "billing"
    assert got["privacy_requests.notes"] == "free_text"


def test_the_store_export_carries_what_the_map_says(session: Session) -> None:
    contact = add_account_with_contact(session)
    contact.marketing_opt_out, contact.marketing_opt_out_at = True, datetime(2026, 1, 2, tzinfo=UTC)
    session.add(contact)
    session.commit()
    part = collect_store(session, contact.email, [], no_progress)
    exported = {
        key: value
        for key, value in dm.EXPORT.items()
        if isinstance(value, dm.Exported) and key.startswith("contacts.")
    }
    assert exported
    for key, claim in exported.items():
        column = key.split(".")[1]
        value = getattr(contact, column)
        records = [r for category in claim.where.split(", ") for r in part.categories[category]]
        flat = {str(v) for r in records for v in r.values()}
        expected = value.isoformat() if isinstance(value, datetime) else str(value)
        assert any(expected in v for v in flat), f"{key} ({value!r}) is not in {claim.where}"


def test_the_store_deletion_erases_what_the_map_says(session: Session, make_user) -> None:
    from dashboard.privacy.deletions.steps import _anonymise_store

    contact = add_account_with_contact(session)
    session.add(StripeCustomer(id="cus_1", email=contact.email, name="Maria Costa"))
    session.commit()
    before = {c: getattr(contact, c) for c in ("name", "email", "phone", "job_title")}
    request = type("R", (), {"subject_email": contact.email})()
    _anonymise_store(session, request, {"contact_ids": [contact.id], "actor_hashes": []}, {}, None)
    session.commit()
    session.expire_all()
    after = session.exec(select(Contact).where(Contact.id == contact.id)).one()
    customer = session.get(StripeCustomer, "cus_1")
    for key, claim in dm.DELETION.items():
        table, column = key.split(".")
        if not isinstance(claim, dm.Erased):
            continue
        if table == "contacts":
            assert getattr(after, column) != before[column], key
        if table == "stripe_customers":
            assert getattr(customer, column) is None, key


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_the_screen_has_a_row_per_personal_column_and_the_outside_systems(engine) -> None:
    screen = dm.data_map_screen()
    assert screen.counts["store"] == len(dm.personal_columns())
    assert screen.counts["stripe"] >= 1 and screen.counts["zendesk"] >= 1
    assert all(
        row["export"] != "NOT DECLARED" and row["deletion"] != "NOT DECLARED" for row in screen.all_rows()
    )
    row = next(r for r in screen.rows["store"] if r["record"] == "contacts" and r["field"] == "email")
    assert row["legal_basis"].startswith("contract") and row["export"] == "exported (contact)"


def test_the_page_renders_for_privacy_officers_with_every_system(run_page, make_user) -> None:
    at = run_page("app_pages/data_map.py", make_user("privacy_officer"))
    assert not at.exception and not at.error
    assert [s.value for s in at.subheader] == ["Console store", "Stripe", "Zendesk"]
    assert len(at.dataframe) == 3 and len(at.dataframe[0].value) == len(dm.personal_columns())


@pytest.mark.parametrize("role", ["account_manager", "executive"])
def test_the_page_is_refused_to_other_roles(run_page, make_user, role) -> None:
    at = run_page("app_pages/data_map.py", make_user(role))
    assert any("cannot open" in e.value for e in at.error) and not at.dataframe
