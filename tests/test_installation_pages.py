"""Installations, reconciliation, Marketplace import and Zendesk connection pages under AppTest, per role."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from sqlmodel import Session, select

from dashboard.access.identity import SYSTEM
from dashboard.core.csv_export import frame_to_csv
from dashboard.core.settings import PROJECT_ROOT
from dashboard.zendesk.connections import add_connection
from dashboard.zendesk.installations import InstallationFilters
from dashboard.zendesk.screens import installations_screen
from models import Account, App, Installation, StripeSubscription, ZendeskConnection

FORMULA = '=HYPERLINK("http://evil.test","click")'
INSTALLATIONS, RECONCILIATION, IMPORT, SYNC = (
    str(PROJECT_ROOT / "app_pages" / name)
    for name in ("installations.py", "reconciliation.py", "marketplace_import.py", "sync.py")
)
ROLES = ("admin", "account_manager", "privacy_officer", "executive")


@pytest.fixture
def data(session: Session) -> dict[str, int]:
    tagger, radar = App(slug="tagger", name="Tagger"), App(slug="radar", name="Radar")
    acme, globex = (
        Account(company_name="Acme", zendesk_subdomain="acme"),
        Account(company_name="Globex", zendesk_subdomain="globex"),
    )
    session.add_all([tagger, radar, acme, globex])
    session.flush()
    session.add_all(
        [
            Installation(
                account_id=acme.id,
                app_id=tagger.id,
                zendesk_installation_id=1,
                state="enabled",
                plan_name=FORMULA,
                paid=True,
                installed_at=datetime(2026, 3, 2, 10, tzinfo=UTC),
            ),
            Installation(
                account_id=globex.id,
                app_id=radar.id,
                zendesk_installation_id=2,
                state="uninstalled",
                plan_name="Team",
                installed_at=datetime(2026, 1, 5, tzinfo=UTC),
                uninstalled_at=datetime(2026, 3, 4, tzinfo=UTC),
                stripe_subscription_id="sub_g",
            ),
            StripeSubscription(
                id="sub_g",
                customer_id="cus_g",
                account_id=globex.id,
                app_id=radar.id,
                status="active",
                currency="usd",
                mrr=4900,
            ),
        ]
    )
    session.commit()
    return {"acme": acme.id, "globex": globex.id, "tagger": tagger.id}


@pytest.mark.parametrize("role", ROLES)
def test_installations_page_per_role(run_page, make_user, data, role: str) -> None:
    at = run_page(INSTALLATIONS, make_user(role))

    if role in ("privacy_officer", "executive"):
        assert "cannot open" in at.error[0].value
        assert not at.dataframe
        return
    assert not at.exception
    assert [m.value for m in at.metric] == ["1", "0", "1", "2"]
    table = at.dataframe[0].value
    assert sorted(table["company_name"]) == ["Acme", "Globex"]
    assert table.loc[table["company_name"] == "Acme", "plan"].item() == FORMULA  # text, as stored
    assert table.loc[table["company_name"] == "Acme", "account_link"].item() == f"/account?id={data['acme']}"


def test_installations_filters_come_from_the_url(run_page, make_user, data) -> None:
    at = run_page(
        INSTALLATIONS, make_user("account_manager"), query={"state": "uninstalled", "since": "2026-03-01"}
    )

    assert list(at.dataframe[0].value["company_name"]) == ["Globex"]
    assert at.multiselect(key="state").value == ["uninstalled"]

    at.multiselect(key="state").set_value([]).run()
    assert sorted(at.dataframe[0].value["company_name"]) == ["Acme", "Globex"]


def test_installations_state_and_paid_show_words_while_the_url_keeps_values(
    run_page, make_user, data
) -> None:
    at = run_page(
        INSTALLATIONS, make_user("account_manager"), query={"state": "uninstalled", "paid": "unpaid"}
    )
    state, paid = at.multiselect(key="state"), at.selectbox(key="paid")
    assert state.options == ["Enabled", "Disabled", "Uninstalled"] and paid.options == [
        "Any",
        "Paid",
        "Unpaid",
    ]
    assert (state.value, paid.value) == (["uninstalled"], "unpaid")
    assert list(at.dataframe[0].value["company_name"]) == ["Globex"]
    paid.set_value("paid")
    state.set_value(["enabled", "uninstalled"]).run()
    assert at.query_params["state"] == ["enabled", "uninstalled"] and at.query_params["paid"] == "paid"
    assert list(at.dataframe[0].value["company_name"]) == ["Acme"]


def test_installations_screen_carries_the_choices_and_ignores_unknown_ones(session: Session, data) -> None:
    today = datetime(2026, 3, 10, tzinfo=UTC).date()
    screen = installations_screen(session, InstallationFilters(plans=("Nope",), app_ids=(999,)), today=today)
    assert list(screen.options.apps.values()) == ["Radar", "Tagger"] and data["tagger"] in screen.options.apps
    assert screen.options.plans == sorted([FORMULA, "Team"]) and screen.counts["total"] == 2
    only_team = installations_screen(session, InstallationFilters(plans=("Team", "Nope")), today=today)
    assert only_team.counts["total"] == 1 and list(only_team.rows["company_name"]) == ["Globex"]


def test_installations_page_refuses_a_reversed_date_range(run_page, make_user, data) -> None:
    at = run_page(INSTALLATIONS, make_user("admin"), query={"since": "2026-05-01", "until": "2026-04-01"})
    assert "start date is after the end date" in at.error[0].value
    assert not at.dataframe


@pytest.mark.parametrize("role", ROLES)
def test_reconciliation_page_per_role(run_page, make_user, data, role: str) -> None:
    at = run_page(RECONCILIATION, make_user(role))

    if role in ("privacy_officer", "executive"):
        assert "cannot open" in at.error[0].value
        return
    assert not at.exception
    table = at.dataframe[0].value
    rows = {(r.category_label, r.company_name): r for r in table.itertuples()}
    assert rows[("Paying for nothing", "Globex")].at_stake_minor == "$49.00"
    assert ("Revenue leakage", "Acme") in rows
    assert rows[("Revenue leakage", "Acme")].account_link == f"/account?id={data['acme']}"


def test_reconciliation_category_filter_is_kept_in_the_url(run_page, make_user, data) -> None:
    at = run_page(RECONCILIATION, make_user("admin"), query={"category": "leakage"})
    assert list(at.dataframe[0].value["category_label"]) == ["Revenue leakage"]
    assert at.multiselect(key="category").value == ["leakage"]
    assert at.query_params["category"] == "leakage"  # the key, not the words


def test_an_unknown_reconciliation_category_in_the_url_shows_every_category(
    run_page, make_user, data
) -> None:
    at = run_page(RECONCILIATION, make_user("admin"), query={"category": "nonsense"})
    assert not at.exception and at.multiselect(key="category").value == []
    assert {"Revenue leakage", "Paying for nothing"} <= set(at.dataframe[0].value["category_label"])


@pytest.mark.parametrize("role", ROLES)
def test_marketplace_import_page_per_role(run_page, make_user, role: str) -> None:
    at = run_page(IMPORT, make_user(role))

    if role in ("privacy_officer", "executive"):
        assert "cannot open" in at.error[0].value
        return
    assert not at.exception and at.title[0].value == "Marketplace import"


@pytest.mark.parametrize("role", ROLES)
def test_zendesk_tab_of_the_sync_page_is_admin_only(run_page, make_user, role: str) -> None:
    at = run_page(SYNC, make_user(role))

    if role != "admin":
        assert "cannot open" in at.error[0].value
        return
    assert not at.exception
    assert any("No Zendesk account connected" in i.value for i in at.info)


def test_admin_adds_a_connection_and_a_bad_token_is_refused_next_to_the_field(
    run_page, make_user, session: Session
) -> None:
    at = run_page(SYNC, make_user("admin"))
    field = {t.label: t for t in at.text_input}
    field["Subdomain"].input("acme")
    field["API user email"].input("api@acme.test")
    field["API token"].input("short")
    _button(at, "Add connection").click().run()

    assert any("API token" in e.value for e in at.error)
    assert session.exec(select(ZendeskConnection)).all() == []

    next(t for t in at.text_input if t.label == "API token").input("a-long-enough-token")
    _button(at, "Add connection").click().run()
    stored = session.exec(select(ZendeskConnection)).one()
    assert stored.subdomain == "acme" and "a-long-enough-token" not in stored.token_encrypted
    assert not any("a-long-enough-token" in str(el.value) for el in at.text_input if el.label != "API token")


def test_sync_now_reports_each_account(
    run_page, make_user, session: Session, fake_zendesk, monkeypatch
) -> None:
    from dashboard.core.settings import reset_settings_cache
    from dashboard.simulators.zendesk import installation

    session.add(App(slug="tagger", name="Tagger", zendesk_app_id=900001))
    fake_zendesk.add_account("acme", token="acme-token-1", installations=[installation(id=5, app_id=900001)])
    add_connection(session, SYSTEM, subdomain="acme", email="api@company.test", token="acme-token-1")
    add_connection(session, SYSTEM, subdomain="initech", email="api@initech.test", token="initech-token")
    session.commit()
    monkeypatch.setenv("ZENDESK_API_BASE", fake_zendesk.base_url)
    monkeypatch.setenv("ZENDESK_TIMEOUT_SECONDS", "2")
    reset_settings_cache()

    at = run_page(SYNC, make_user("admin"))
    at.button(key="zendesk_sync_now").click().run()

    assert [e.value.split(":")[0] for e in at.error] == ["initech"]
    assert session.exec(select(Installation)).one().zendesk_installation_id == 5
    assert any("partial" in m.value for m in at.markdown)
    assert sorted(at.dataframe[-1].value["subdomain"]) == ["acme", "initech"]


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def test_csv_downloads_defuse_formula_cells() -> None:
    csv = frame_to_csv(pd.DataFrame({"plan": [FORMULA, "Team"], "mrr": [-5, 7]})).decode("utf-8-sig")
    assert csv.splitlines() == ["plan,mrr", '"\'=HYPERLINK(""http://evil.test"",""click"")",-5', "Team,7"]
