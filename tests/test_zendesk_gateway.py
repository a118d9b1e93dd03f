"""The Zendesk gateway against the fake Zendesk: paging, 429 with Retry-After, bad token, timeouts."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from dashboard.simulators.zendesk import ZendeskSimulator, installation, old_installation
from dashboard.zendesk.gateway import ZendeskAccountError, ZendeskGateway, parse_installation


def _client(fake: ZendeskSimulator, subdomain: str, *, token: str = "good-token", **gateway_options):
    gateway = ZendeskGateway(
        api_base=fake.base_url, **{"timeout": 2, "ratelimit_budget": 10, **gateway_options}
    )
    return gateway.client(subdomain=subdomain, email="api@company.test", token=token)


def test_installations_come_in_one_envelope_per_account(fake_zendesk: ZendeskSimulator) -> None:
    ids = [361234573552 + i for i in range(150)]
    fake_zendesk.add_account("acme", installations=[installation(id=i, app_id=900001) for i in ids])
    fake_zendesk.add_account("globex", installations=[installation(id=77, app_id=900002, seats=12)])

    acme = _client(fake_zendesk, "acme").installations()
    globex = _client(fake_zendesk, "globex").installations()

    assert [i.installation_id for i in acme] == ids
    assert [(i.installation_id, i.app_id, i.seats) for i in globex] == [(77, 900002, 12)]
    assert [call[3] for call in fake_zendesk.calls_for("acme")] == [""]  # real Zendesk: no next_page


def test_installations_follow_a_next_page_when_one_comes(fake_zendesk: ZendeskSimulator) -> None:
    fake_zendesk.page_size = 2
    account = fake_zendesk.add_account(
        "acme", installations=[installation(id=i, app_id=900001) for i in range(1, 6)]
    )
    account.page_installations = True

    acme = _client(fake_zendesk, "acme").installations()

    assert [i.installation_id for i in acme] == [1, 2, 3, 4, 5]
    assert [call[3] for call in fake_zendesk.calls_for("acme")] == ["", "page=2", "page=3"]


def test_429_with_retry_after_is_waited_out(fake_zendesk: ZendeskSimulator) -> None:
    account = fake_zendesk.add_account("acme", installations=[installation(id=1, app_id=900001)])
    account.fail_next(status=429, retry_after=1)

    started = time.monotonic()
    found = _client(fake_zendesk, "acme").installations()

    assert [i.installation_id for i in found] == [1]
    assert time.monotonic() - started >= 1
    assert len(fake_zendesk.calls_for("acme")) == 2


def test_429_past_the_budget_is_a_rate_limited_error(fake_zendesk: ZendeskSimulator) -> None:
    fake_zendesk.add_account("acme").fail_next(status=429, retry_after=30)

    with pytest.raises(ZendeskAccountError) as caught:
        _client(fake_zendesk, "acme", ratelimit_budget=1).installations()

    assert caught.value.kind == "rate_limited"


def test_bad_token_is_an_auth_error_that_does_not_show_the_token(fake_zendesk: ZendeskSimulator) -> None:
    fake_zendesk.add_account("acme", token="right")

    with pytest.raises(ZendeskAccountError) as caught:
        _client(fake_zendesk, "acme", token="wrong-secret-value").installations()

    assert caught.value.kind == "auth"
    assert caught.value.subdomain == "acme"
    assert "wrong-secret-value" not in str(caught.value)


def test_a_slow_answer_is_a_timeout_error(fake_zendesk: ZendeskSimulator) -> None:
    fake_zendesk.add_account("acme").fail_next(delay=1.0, times=4)

    with pytest.raises(ZendeskAccountError) as caught:
        _client(fake_zendesk, "acme", timeout=0.2).installations()

    assert caught.value.kind == "timeout"


def test_parse_installation_is_defensive() -> None:
    assert parse_installation({"app_id": 5}) is None
    assert parse_installation("nonsense") is None
    parsed = parse_installation(
        {
            "id": "12",
            "app_id": 900001,
            "enabled": "false",
            "plan_information": None,
            "settings": None,
            "settings_objects": [{"name": "seats", "value": "not a number"}, "junk"],
            "created_at": "2026-03-01T08:00:00Z",
            "updated_at": "garbage",
            "api_token": "secret",
        }
    )
    assert parsed is not None
    assert (parsed.installation_id, parsed.enabled, parsed.plan_name, parsed.seats) == (12, False, "", None)
    assert parsed.created_at == datetime(2026, 3, 1, 8, tzinfo=UTC)
    assert parsed.updated_at is None
    assert parsed.settings == {}


def test_real_nulls_and_old_installations_parse(fake_zendesk: ZendeskSimulator) -> None:
    fake_zendesk.add_account(
        "acme",
        installations=[
            installation(id=361234573552, app_id=1015647, paid=None, plan=None, seats=25),
            old_installation(id=360001234567, app_id=98811, enabled=False, seats=10),
            old_installation(id=360001234568, app_id=98811),
        ],
    )

    new, old, no_seats = _client(fake_zendesk, "acme").installations()

    assert (new.paid, new.has_unpaid_subscription, new.plan_name, new.seats) == (False, False, "", 25)
    assert (old.enabled, old.seats, old.plan_name, old.stripe_subscription_id, old.paid) == (
        False,
        10,
        "",
        None,
        False,
    )
    assert no_seats.seats is None and no_seats.created_at == datetime(2017, 2, 14, 9, 30, tzinfo=UTC)


def test_a_403_on_deleting_a_user_says_which_permission_and_endpoint(fake_zendesk: ZendeskSimulator) -> None:
    fake_zendesk.add_account("acme").fail_next(status=403)

    with pytest.raises(ZendeskAccountError) as caught:
        _client(fake_zendesk, "acme").soft_delete_user(26155588908179)

    assert caught.value.kind == "permission"
    assert "DELETE /api/v2/users/26155588908179.json" in caught.value.message
    assert "may not delete users" in caught.value.message and "token" not in caught.value.message


def test_a_401_names_the_endpoint_and_what_to_check(fake_zendesk: ZendeskSimulator) -> None:
    fake_zendesk.add_account("acme", token="right")

    with pytest.raises(ZendeskAccountError) as caught:
        _client(fake_zendesk, "acme", token="wrong").installations()

    assert caught.value.message.startswith(
        "Zendesk GET /api/v2/apps/installations.json refused the credentials"
    )
