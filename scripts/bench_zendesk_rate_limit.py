"""Real-time figure: the Zendesk part of an export for a requester with 4,000 tickets, against the fake
Zendesk enforcing Zendesk's real rate limit (700 requests a minute per account, fixed one-minute
windows, 429 with `retry-after`), on the real clock.

    python scripts/bench_zendesk_rate_limit.py [--tickets 4000] [--per-minute 700] [--busy 300]

`--busy` requests of the first minute are spent by "another app" in the same account, so 429s happen.
Prints seconds, HTTP requests and how many were answered 429; no assertions (the test of the same run
on a virtual clock is tests/test_zendesk_rate_limits.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard.privacy.exports.systems import ZendeskTarget
from dashboard.privacy.exports.zendesk import collect_zendesk
from dashboard.simulators.zendesk import ZendeskSimulator
from dashboard.simulators.zendesk_people import add_ticket, add_user
from dashboard.zendesk.gateway import ZendeskGateway

EMAIL = "many.tickets@acme.example"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=4000)
    parser.add_argument("--per-minute", type=int, default=700)
    parser.add_argument("--busy", type=int, default=300)
    args = parser.parse_args()
    with ZendeskSimulator() as fake:
        account = fake.add_account("acme")
        account.rate_limit.per_minute = args.per_minute
        subject = add_user(account, name="Many Tickets", email=EMAIL)
        agent = add_user(account, name="Agent Smith", email=None, role="agent")
        for number in range(args.tickets):
            add_ticket(
                account,
                requester=subject,
                assignee=agent,
                subject=f"Help {number}",
                comments=[(subject, "Hi")],
            )
        gateway = ZendeskGateway(api_base=fake.base_url, timeout=15, ratelimit_budget=300)
        client = gateway.client(subdomain="acme", email="api@company.test", token="good-token")
        account.rate_limit.use(args.busy)
        started = time.monotonic()
        part = collect_zendesk([ZendeskTarget("acme", None, client)], EMAIL, lambda *_: None)
        seconds = time.monotonic() - started
    print(
        f"{args.tickets} tickets, {len(part.categories['zendesk_comments'])} comments exported in "
        f"{seconds:.1f} s: "
        f"{client.limiter.http_requests} HTTP requests, {client.limiter.rate_limited} answered 429 "
        f"(limit {args.per_minute}/min, {args.busy} spent by another app in the first minute, "
        f"{client.workers} workers)"
    )


if __name__ == "__main__":
    main()
