"""Every role against every registered page: allowed pages render, forbidden ones are hidden and refused.

Iterates `dashboard.access.navigation.PAGES`, so pages added later are covered without editing this file.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.access.navigation import ALL_ROLES, PAGES, can_open, landing_page, pages_for, sections_for
from dashboard.core.settings import PROJECT_ROOT

ROLES = sorted(ALL_ROLES)


def _spec(key: str):
    return next(spec for spec in PAGES if spec.key == key)


def test_every_registered_page_file_exists() -> None:
    for spec in PAGES:
        assert (PROJECT_ROOT / spec.file).is_file(), spec.file


def test_admin_can_open_every_page_and_others_only_theirs() -> None:
    assert {spec.key for spec in pages_for("admin")} == {spec.key for spec in PAGES}
    assert [spec.key for spec in pages_for("executive")] == [s.key for s in PAGES if "executive" in s.roles]
    assert not can_open(None, "profile")
    assert not can_open("system", "users")


def test_issue_role_rules_hold() -> None:
    for role in ("account_manager", "privacy_officer", "executive"):
        assert not can_open(role, "users") and not can_open(role, "sync")
    assert can_open("privacy_officer", "audit")
    assert not can_open("account_manager", "audit") and not can_open("executive", "audit")
    # An account manager logs a privacy request a customer made, and sees nothing else of privacy.
    privacy = {spec.key for spec in PAGES if spec.section == "Privacy"}
    assert {key for key in privacy if can_open("account_manager", key)} == {"privacy_intake"}


@pytest.mark.parametrize("role", ROLES)
def test_navigation_sections_hold_exactly_the_roles_pages(role: str) -> None:
    in_nav = [spec.key for specs in sections_for(role).values() for spec in specs]
    assert sorted(in_nav) == sorted(spec.key for spec in PAGES if role in spec.roles)


# The refusal happens before any query, so one backend is enough where no page content is drawn.
SQLITE_ONLY = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
ALLOWED = [(role, spec.key) for role, spec in ((r, s) for r in ROLES for s in PAGES) if role in spec.roles]
FORBIDDEN = [
    (role, spec.key) for role, spec in ((r, s) for r in ROLES for s in PAGES) if role not in spec.roles
]


@pytest.mark.parametrize(("role", "key"), ALLOWED)
def test_allowed_page_renders(role: str, key: str, run_page, make_user) -> None:
    at = run_page(_spec(key).file, make_user(role))
    assert not at.exception, f"{key} as {role}: {at.exception}"
    assert not [e.value for e in at.error if "cannot open" in e.value], f"{role} was refused {key}"
    assert len(at.main.children) > 1


@SQLITE_ONLY
@pytest.mark.parametrize(("role", "key"), FORBIDDEN)
def test_forbidden_page_shows_only_the_refusal(role: str, key: str, run_page, make_user) -> None:
    spec = _spec(key)
    at = run_page(spec.file, make_user(role))
    assert not at.exception, f"{key} as {role}: {at.exception}"
    assert [e.value for e in at.error] == [
        f"Your role ({role.replace('_', ' ').capitalize()}) cannot open “{spec.title}”."
    ]
    assert len(at.main.children) == 1, f"{key} drew more than the refusal for {role}"
    assert not at.sidebar.children


@SQLITE_ONLY
def test_page_without_sign_in_shows_only_a_prompt(run_page) -> None:
    for spec in PAGES:
        at = run_page(spec.file, None)
        assert [w.value for w in at.warning] == ["Please sign in."]
        assert len(at.main.children) == 1


@SQLITE_ONLY
def test_a_user_deactivated_meanwhile_cannot_keep_a_page_open(run_page, make_user, session) -> None:
    from dashboard.access import users
    from dashboard.access.identity import SYSTEM

    make_user("admin")
    actor = make_user("account_manager")
    assert not run_page(_spec("installations").file, actor).warning
    users.set_active(session, SYSTEM, user_id=actor.user_id, active=False)
    session.commit()
    at = run_page(_spec("installations").file, actor)  # the session still holds the old actor
    assert [w.value for w in at.warning] == ["Please sign in."]
    assert len(at.main.children) == 1 and "actor" not in at.session_state


@SQLITE_ONLY
def test_a_role_changed_meanwhile_is_refused_the_old_roles_page(run_page, make_user, session) -> None:
    from dashboard.access import users
    from dashboard.access.identity import SYSTEM

    make_user("admin")
    actor = make_user("account_manager")
    users.set_role(session, SYSTEM, user_id=actor.user_id, role="executive")
    session.commit()
    at = run_page(_spec("installations").file, actor)
    assert [e.value for e in at.error] == ["Your role (Executive) cannot open “Installations”."]


def _signed_in_app(actor) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "streamlit_app.py"), default_timeout=60)
    at.session_state["actor"] = actor
    return at.run()


@SQLITE_ONLY
@pytest.mark.parametrize("role", ROLES)
def test_app_navigation_registers_only_the_roles_pages(role: str, app_env, make_user) -> None:
    at = _signed_in_app(make_user(role))
    assert not at.exception
    assert [t.value for t in at.title][:1] == [landing_page(role).title]
    for spec in PAGES:
        path = str(PROJECT_ROOT / spec.file)
        if role in spec.roles:
            at.switch_page(path)  # registered: allowed (its rendering is test_allowed_page_renders)
        else:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(path)


def test_no_pages_folder_beside_the_entry_point() -> None:
    """A `pages/` folder makes Streamlit run page files directly (v1 multipage) until some session has
    called st.navigation, bypassing sign-in and the role's navigation (docs/CONVENTIONS.md)."""
    assert not (PROJECT_ROOT / "pages").exists()
    assert all(spec.file.startswith("app_pages/") for spec in PAGES)
