"""Zendesk rate limits as they really are: 700 requests a minute per account (fixed windows), 429 with
`retry-after`; the gateway paces each account, pauses on 429s, and spends wait budgets per account and
per run. Time is virtual (tests/virtual_time.py), so minutes of traffic take seconds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dashboard.privacy.exports.systems import ZendeskTarget
from dashboard.privacy.exports.zendesk import CommentCheckpoint, collect_zendesk
from dashboard.simulators.zendesk import SimulatedAccount, ZendeskSimulator, installation
from dashboard.simulators.zendesk_people import add_ticket, add_user
from dashboard.zendesk.gateway import ZendeskAccountError, ZendeskGateway
from tests.virtual_time import VirtualTimer

EMAIL = "many.tickets@acme.example"


@pytest.fixture
def timer() -> VirtualTimer:
    return VirtualTimer()


@pytest.fixture
def fake(timer: VirtualTimer) -> Iterator[ZendeskSimulator]:
    with ZendeskSimulator(clock=timer.now) as server:
        yield server


def _gateway(fake: ZendeskSimulator, timer: VirtualTimer, **options: float) -> ZendeskGateway:
    return ZendeskGateway(api_base=fake.base_url, timeout=5, timer=timer, **options)  # type: ignore[arg-type]


def _client(gateway: ZendeskGateway, subdomain: str, **kwargs):
    return gateway.client(subdomain=subdomain, email="api@company.test", token="good-token", **kwargs)


def _requester_with_tickets(account: SimulatedAccount, tickets: int) -> None:
    subject = add_user(account, name="Many Tickets", email=EMAIL)
    agent = add_user(account, name="Agent Smith", email=None, role="agent")
    for number in range(tickets):
        add_ticket(
            account,
            requester=subject,
            assignee=agent,
            subject=f"Help {number}",
            comments=[(subject, "Help.")],
        )


def test_a_429_pauses_for_its_retry_after_and_the_request_goes_through(fake, timer) -> None:
    account = fake.add_account("acme", installations=[installation(id=361234573552, app_id=1)])
    account.rate_limit.use(700)  # another app in the account spent this minute's quota
    client = _client(_gateway(fake, timer, ratelimit_budget=120), "acme")

    found = client.installations()

    assert [i.installation_id for i in found] == [361234573552]
    assert (client.limiter.rate_limited, client.limiter.http_requests) == (1, 2)
    assert 0 < timer.elapsed <= 60  # waited until the minute's end, as retry-after said


def test_429s_past_the_accounts_budget_fail_naming_the_setting(fake, timer) -> None:
    fake.add_account("acme").fail_next(status=429, retry_after=30, times=5)

    with pytest.raises(ZendeskAccountError) as caught:
        _client(_gateway(fake, timer, ratelimit_budget=50), "acme").installations()

    assert caught.value.kind == "rate_limited"
    assert "account's wait budget of 50 s" in caught.value.message
    assert "ZENDESK_RATELIMIT_BUDGET_SECONDS" in caught.value.message
    assert timer.elapsed == 30  # the one wait that fitted


def test_the_budget_is_per_account_for_every_sub_api_and_the_run_budget_is_shared(fake, timer) -> None:
    for subdomain in ("acme", "globex"):
        fake.add_account(subdomain).fail_next(status=429, retry_after=40)
        add_user(fake.accounts[subdomain], name="Ann", email="ann@x.example")
    gateway = _gateway(fake, timer, ratelimit_budget=50, run_ratelimit_budget=70)
    run = gateway.run_budget()
    acme = _client(gateway, "acme", run_budget=run)

    acme.installations()  # 40 s of the account's 50
    fake.accounts["acme"].fail_next(status=429, retry_after=5)
    acme.users_by_email("ann@x.example")  # another zenpy sub-API: same account budget, 45 s of 50

    with pytest.raises(ZendeskAccountError) as caught:  # 40 s more would make the run's 85 s of 70
        _client(gateway, "globex", run_budget=run).installations()
    assert "run's wait budget of 70 s" in caught.value.message
    assert "ZENDESK_RUN_RATELIMIT_BUDGET_SECONDS" in caught.value.message
    fake.accounts["globex"].fail_next(status=429, retry_after=40)
    assert _client(gateway, "globex").installations() == []  # a new run starts a new run budget


def test_requests_are_paced_to_the_accounts_limit_from_its_header(fake, timer) -> None:
    account = fake.add_account("acme")
    account.rate_limit.per_minute = 50
    client = _client(_gateway(fake, timer, requests_per_minute=200), "acme")

    for _ in range(120):
        client.installations()

    assert client.limiter.per_minute == 50  # learnt from x-rate-limit
    assert account.rate_limit.rejected <= 1  # at most the first minute, before the header was read
    assert timer.elapsed >= 60


def test_a_requester_with_4000_tickets_exports_within_700_a_minute(fake, timer) -> None:
    account = fake.add_account("acme")
    _requester_with_tickets(account, 4000)
    account.rate_limit.use(300)  # other apps are busy too
    # One comment worker: on virtual time a thread the OS holds back sends behind the clock the others
    # moved on (real time never runs ahead of a waiting thread), which turned pacing into 429s under load.
    gateway = _gateway(fake, timer, ratelimit_budget=300, requests_per_minute=700, comment_workers=1)
    client = _client(gateway, "acme")
    seen: list[float] = []

    part = collect_zendesk(
        [ZendeskTarget("acme", None, lambda: client)], EMAIL, lambda done, _text: seen.append(done)
    )

    assert len(part.categories["zendesk_tickets"]) == len(part.categories["zendesk_comments"]) == 4000
    calls = len(fake.calls_for("acme"))
    # search, 40 cursor pages of 100 tickets, 4000 comment lists, show_many; plus any 429 answered
    assert calls == client.limiter.http_requests == 4042 + client.limiter.rate_limited
    # the busy first minute answers a few 429s (the requests in flight at its end): paused, not failed
    assert 1 <= client.limiter.rate_limited <= 10
    # paced at the account's limit: never faster, and no slower than the 429 pauses it answered
    assert 4042 / 700 * 60 - 60 <= timer.elapsed <= 4042 / 700 * 60 + 60 * client.limiter.rate_limited
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 100  # progress as it goes
    limited = client.limiter.rate_limited
    print(f"\n4000 tickets: {calls} HTTP requests ({limited} answered 429), {timer.elapsed:.0f} s")


def test_a_cut_short_export_resumes_from_its_checkpoint(fake, timer, tmp_path) -> None:
    account = fake.add_account("acme")
    _requester_with_tickets(account, 300)
    checkpoint = CommentCheckpoint(tmp_path / "zendesk-comments.jsonl")
    gateway = _gateway(fake, timer, ratelimit_budget=10)
    first = _client(gateway, "acme")

    def storm(done: float, _text: str) -> None:  # a third into the comments a 429 storm starts
        if done > 0.3 and not account.faults:
            account.fail_next(status=429, retry_after=30, times=20)

    with pytest.raises(ZendeskAccountError) as caught:
        collect_zendesk([ZendeskTarget("acme", None, lambda: first)], EMAIL, storm, checkpoint)
    assert caught.value.kind == "rate_limited"
    fetched = len(checkpoint.load("acme"))
    assert 0 < fetched < 300
    account.faults.clear()
    before = len([c for c in fake.calls_for("acme") if c[2].endswith("/comments.json")])

    again = _client(gateway, "acme")
    part = collect_zendesk([ZendeskTarget("acme", None, lambda: again)], EMAIL, lambda *_: None, checkpoint)

    comment_calls = len([c for c in fake.calls_for("acme") if c[2].endswith("/comments.json")]) - before
    assert len(part.categories["zendesk_comments"]) == 300
    assert comment_calls == 300 - fetched  # only the tickets still missing
