"""Page loaders: one cache per domain function, emptied by the groups whose writes change it."""

from contextlib import contextmanager

import pytest

from dashboard.ui import cache_groups
from dashboard.ui.cache_groups import Group, clear_group, loader

SESSION = object()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, object]]:
    @contextmanager
    def fake_session():
        yield SESSION

    monkeypatch.setattr(cache_groups, "db_session", fake_session)
    return []


def test_a_loader_runs_its_function_in_a_session_once_until_its_group_is_cleared(calls: list) -> None:
    def paying_accounts(session: object, plan: str, *, today: str) -> str:
        calls.append(("paying", session))
        return f"{plan} on {today}"

    load = loader(paying_accounts, Group.STRIPE, ttl=60)
    load.clear()
    assert load("pro", today="2026-12-03") == "pro on 2026-12-03"
    assert load("pro", today="2026-12-03") == "pro on 2026-12-03"
    assert calls == [("paying", SESSION)]
    clear_group(Group.PRIVACY)  # another group's write leaves it alone
    load("pro", today="2026-12-03")
    assert len(calls) == 1
    clear_group(Group.STRIPE)
    load("pro", today="2026-12-03")
    assert len(calls) == 2


def test_two_loaders_with_the_same_arguments_keep_their_own_caches(calls: list) -> None:
    def installs(session: object) -> str:
        calls.append(("installs", session))
        return "installs"

    def uninstalls(session: object) -> str:
        calls.append(("uninstalls", session))
        return "uninstalls"

    first, second = (
        loader(installs, Group.INSTALLATIONS, ttl=60),
        loader(uninstalls, Group.INSTALLATIONS, ttl=60),
    )
    first.clear()
    second.clear()
    assert (first(), second(), first(), second()) == ("installs", "uninstalls", "installs", "uninstalls")
    assert [name for name, _ in calls] == ["installs", "uninstalls"]
