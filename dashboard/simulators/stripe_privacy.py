"""Stripe simulator routes for privacy work (issue 8): customer search by email and customer deletion.

Registered on import (the registry in stripe.py; the package __init__ imports this module).
"""

from __future__ import annotations

import re

from dashboard.simulators.stripe import Request, StripeSimulator, route, stripe_error

_EMAIL_CLAUSE = re.compile(r'email~"((?:[^"\\]|\\.)*)"')


@route("GET", r"/v1/customers/search")
def search_customers(fake: StripeSimulator, request: Request) -> tuple[int, dict]:
    """Stripe's `email~"x"`: case-insensitive substring match (so near matches come back too)."""
    found = _EMAIL_CLAUSE.search(request.param("query", "") or "")
    if found is None:
        return stripe_error(400, 'Only email~"..." queries are supported by the fake.')
    needle = found.group(1).replace('\\"', '"').replace("\\\\", "\\").lower()
    hits = [
        c
        for c in fake.store["customers"].values()
        if not c.get("deleted") and needle in str(c.get("email") or "").lower()
    ]
    hits.sort(key=lambda c: c["id"])
    limit = min(int(request.param("limit", "10") or 10), 100)
    start = int(request.param("page", "0") or 0)
    chunk = hits[start : start + limit]
    more = start + limit < len(hits)
    return 200, {
        "object": "search_result",
        "url": "/v1/customers/search",
        "has_more": more,
        "next_page": str(start + limit) if more else None,
        "data": chunk,
    }


@route("DELETE", r"/v1/customers/(?P<id>[^/]+)")
def delete_customer(fake: StripeSimulator, request: Request) -> tuple[int, dict]:
    """Deleting a customer cancels its subscriptions; a second delete answers 404 like Stripe."""
    customer = fake.get("customers", request.match["id"])
    if customer is None or customer.get("deleted"):
        return stripe_error(404, f"No such customer: '{request.match['id']}'", code="resource_missing")
    for subscription in fake.store["subscriptions"].values():
        if subscription.get("customer") == customer["id"] and subscription["status"] != "canceled":
            fake.update(
                "subscriptions",
                subscription["id"],
                "customer.subscription.deleted",
                status="canceled",
                canceled_at=fake.clock,
                ended_at=fake.clock,
            )
    fake.delete("customers", customer["id"])
    return 200, {"id": customer["id"], "object": "customer", "deleted": True}
