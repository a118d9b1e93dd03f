"""A Stripe simulator: Stripe's HTTP API on 127.0.0.1, for the demo, the tests and the benchmarks.

Objects start from Stripe's canonical fixtures (`FIXTURES`: the resources of Stripe's
openapi/fixtures3.json the simulator serves, MIT licence beside it) with fields overridden, so
stripe-python parses real shapes. The demo fills it from the store's mirror (`dashboard.simulators.demo`).

How to extend it (the routes for corrections and privacy are in stripe_corrections.py / stripe_privacy.py;
`dashboard/simulators/__init__.py` imports every route module, so importing any simulator registers all):

    from dashboard.simulators.stripe import StripeSimulator, route

    @route("POST", r"/v1/refunds")
    def create_refund(fake: StripeSimulator, request: Request) -> tuple[int, dict]:
        charge = fake.get("charges", request.form["charge"])          # 404 in Stripe's shape if absent
        refund = fake.add("refunds", fake.make("refund", charge=charge["id"],
                                                amount=int(request.form["amount"])))
        fake.emit("refund.created", refund)                          # appears in /v1/events
        return 200, refund

Handlers get the fake and a parsed `Request` (`query`/`form` flattened like `created[gte]`,
`request.list("expand")`, `request.match` = the route regex groups) and return (status, body).
Register at import time, in the module that defines the handler (listed in the package __init__).
The machinery handles for every route: the API-key check (401 in Stripe's error shape), per-path
call counts (`fake.calls`), idempotency keys on POST (same key -> the stored response, handler runs
once; the same key with other parameters -> 400 idempotency_error; keys are forgotten once `fake.clock`
passes their lifetime, `advance(seconds)` moves it), and injected faults (`fake.fail_next(...)`,
`fake.hang_next(...)`, and `fake.lose_response_next(...)`: the handler runs, then the connection drops
without an answer). Reads and writes fail independently: a fault matches "METHOD /path".
Generic list/retrieve/delete routes serve every resource in `RESOURCES`.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

FIXTURES = Path(__file__).resolve().with_name("stripe_fixtures3.json")
TEST_KEY = "sk_test_fake_console"
IDEMPOTENCY_KEY_LIFETIME = 24 * 3600  # Stripe prunes keys after at least 24 hours

# URL collection name -> the fixture object name
RESOURCES: dict[str, str] = {
    "customers": "customer",
    "products": "product",
    "prices": "price",
    "coupons": "coupon",
    "discounts": "discount",
    "subscriptions": "subscription",
    "invoices": "invoice",
    "charges": "charge",
    "refunds": "refund",
    "credit_notes": "credit_note",
    "events": "event",
}
_PREFIX = {
    "customer": "cus",
    "product": "prod",
    "price": "price",
    "discount": "di",
    "subscription": "sub",
    "subscription_item": "si",
    "invoice": "in",
    "charge": "ch",
    "refund": "re",
    "credit_note": "cn",
    "event": "evt",
    "invoice_payment": "inpay",
    "coupon": "co",
    "payment_intent": "pi",
}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]
    match: dict[str, str] = field(default_factory=dict)

    def list(self, name: str) -> list[str]:
        """Values of an array parameter sent as name[0]=a&name[1]=b (or name[]=a)."""
        params = {**self.query, **self.form}
        pattern = re.compile(rf"^{re.escape(name)}\[\d*\]$")
        return [value for key, value in params.items() if pattern.match(key)]

    def param(self, name: str, default: str | None = None) -> str | None:
        return self.form.get(name, self.query.get(name, default))


Handler = Callable[["StripeSimulator", Request], tuple[int, dict]]
_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    """Register a handler for METHOD and a full-path regex (named groups land in request.match)."""

    def register(handler: Handler) -> Handler:
        _ROUTES.insert(0, (method, re.compile(f"^{pattern}$"), handler))  # later registrations win
        return handler

    return register


def stripe_error(
    status: int,
    message: str,
    error_type: str = "invalid_request_error",
    code: str | None = None,
    decline_code: str | None = None,
) -> tuple[int, dict]:
    """Stripe's error object: type, code (with its doc_url), a card error's decline_code, message."""
    error: dict[str, Any] = {"type": error_type, "code": code, "message": message}
    if code:
        error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
    if decline_code:
        error["decline_code"] = decline_code
    return status, {"error": error}


@dataclass(frozen=True)
class _ErrorShape:
    type: str
    code: str | None
    message: str
    decline_code: str | None = None


# What real Stripe answers with each status, for an injected fault that names no code or message.
_FAULT_ERRORS = {
    400: _ErrorShape(
        "invalid_request_error",
        None,
        "Invalid request (check that your POST content type is application/x-www-form-urlencoded).",
    ),
    402: _ErrorShape("card_error", "card_declined", "Your card was declined.", "generic_decline"),
    403: _ErrorShape(
        "invalid_request_error",
        None,
        "The provided key does not have the required permissions for this endpoint.",
    ),
    409: _ErrorShape(
        "invalid_request_error",
        "lock_timeout",
        "This object cannot be accessed right now because another API request or Stripe process is "
        "currently accessing it. If you see this error intermittently, retry the request.",
    ),
    429: _ErrorShape(
        "rate_limit_error",
        "rate_limit",
        "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
    ),
}
_SERVER_ERROR = _ErrorShape(
    "api_error",
    None,
    "Sorry, something went wrong. We've already been notified of the problem, but if you need any help, "
    "you can reach us at support.stripe.com/contact.",
)


@dataclass
class _Fault:
    pattern: re.Pattern[str]
    remaining: int
    status: int | None  # None -> hang (or, with lose_response, run the handler and drop the answer)
    hang_seconds: float = 0.0
    skip: int = 0  # matching requests to let through before the fault starts
    lose_response: bool = False
    code: str | None = None  # Stripe's error code (card_declined, charge_disputed...), else the status's own
    message: str | None = None  # what Stripe says, else the status's usual message

    def answer(self, signature: str) -> tuple[int, dict]:
        status = self.status or 500
        if status == 404:  # what Stripe says of an address it does not serve
            method, path = signature.split(" ", 1)
            message = f"Unrecognized request URL ({method}: {path})."
            shape = _ErrorShape("invalid_request_error", None, message)
        else:
            shape = _FAULT_ERRORS.get(status, _SERVER_ERROR)
        code = self.code or shape.code
        decline_code = shape.decline_code if code == shape.code else None
        return stripe_error(status, self.message or shape.message, shape.type, code, decline_code)


@dataclass
class _Remembered:
    """What Stripe stored for an idempotency key: the answer, the request it answered, and when."""

    status: int
    body: dict
    params: dict[str, str]
    at: int


class ResponseLost(Exception):
    """Raised by `handle` after the handler ran: the server closes the connection without answering."""


class StripeSimulator:
    """In-memory Stripe: `store[resource][id] = object`, served over HTTP on a free loopback port."""

    def __init__(self, api_key: str = TEST_KEY, *, follow_clock: Callable[[], int] | None = None) -> None:
        self.api_key = api_key
        # The demo's simulator keeps its clock at the console's (`clock.epoch_seconds`); tests move it.
        self.follow_clock = follow_clock
        self.ready = threading.Event()  # requests wait while it is clear (the demo fills it in a thread)
        self.ready.set()
        self.fixtures: dict[str, dict] = json.loads(FIXTURES.read_text())["resources"]
        self.store: dict[str, dict[str, dict]] = {name: {} for name in RESOURCES}
        self.calls: Counter[str] = Counter()  # "GET /v1/customers" -> count
        self.clock = 1_760_000_000  # fake "now" in Unix seconds; tests move it
        self._ids = itertools.count(1)
        self._idempotent: dict[str, _Remembered] = {}
        self._faults: list[_Fault] = []
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        # What add/update/delete changed (not the demo's fill): the part a snapshot keeps (snapshots.py).
        self.changed: dict[str, set[str]] = {name: set() for name in RESOURCES}
        self.on_change: Callable[[], None] | None = None  # after each POST or DELETE, under the lock

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> StripeSimulator:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- objects -----------------------------------------------------------------------------------

    def new_id(self, kind: str) -> str:
        return f"{_PREFIX.get(kind, kind)}_fake{next(self._ids):06d}"

    def make(self, kind: str, **overrides: Any) -> dict:
        """A canonical fixture object of `kind` with a fresh id and `overrides` applied."""
        obj = copy.deepcopy(self.fixtures[kind])
        obj["id"] = self.new_id(kind)
        if "created" in obj:
            obj["created"] = self.clock
        obj.update(overrides)
        return obj

    def add(self, resource: str, obj: dict) -> dict:
        with self._lock:
            self.store[resource][obj["id"]] = obj
            self.changed[resource].add(obj["id"])
        return obj

    def get(self, resource: str, object_id: str) -> dict | None:
        return self.store[resource].get(object_id)

    def emit(self, event_type: str, obj: dict, *, previous: dict | None = None) -> dict:
        """Record an event whose data.object is a snapshot of `obj` (as Stripe's Events API does)."""
        data: dict[str, Any] = {"object": copy.deepcopy(obj)}
        if previous is not None:
            data["previous_attributes"] = previous
        event = self.make("event", type=event_type, data=data, created=self.clock)
        return self.add("events", event)

    # -- builders for a consistent business (customers, plans, subscriptions, invoices, payments) ---

    def add_customer(self, **overrides: Any) -> dict:
        return self.add(
            "customers",
            self.make(
                "customer", **{"email": None, "name": None, "metadata": {}, "discount": None, **overrides}
            ),
        )

    def add_product(self, name: str, **overrides: Any) -> dict:
        return self.add(
            "products",
            self.make("product", **{"name": name, "default_price": None, "metadata": {}, **overrides}),
        )

    def add_price(
        self,
        product: dict,
        *,
        unit_amount: int,
        currency: str = "usd",
        interval: str = "month",
        interval_count: int = 1,
        usage_type: str = "licensed",
        **overrides: Any,
    ) -> dict:
        recurring = {
            **self.fixtures["price"]["recurring"],
            "interval": interval,
            "interval_count": interval_count,
            "usage_type": usage_type,
        }
        return self.add(
            "prices",
            self.make(
                "price",
                **{
                    "product": product["id"],
                    "unit_amount": unit_amount,
                    "unit_amount_decimal": str(unit_amount),
                    "currency": currency,
                    "recurring": recurring,
                    "transform_quantity": None,
                    **overrides,
                },
            ),
        )

    def add_coupon(
        self,
        *,
        percent_off: float | None = None,
        amount_off: int | None = None,
        duration: str = "forever",
        **overrides: Any,
    ) -> dict:
        coupon = self.make(
            "coupon",
            **{
                "percent_off": percent_off,
                "amount_off": amount_off,
                "duration": duration,
                "duration_in_months": None,
                "redeem_by": None,
                **overrides,
            },
        )
        return self.add("coupons", coupon)

    def add_subscription(
        self,
        customer: dict,
        items: list[tuple[dict, int]],
        *,
        status: str = "active",
        coupon: dict | None = None,
        period_start: int | None = None,
        **overrides: Any,
    ) -> dict:
        """A subscription with one item per (price, quantity); a coupon becomes a stored discount."""
        start = period_start if period_start is not None else self.clock
        sub_id = self.new_id("subscription")
        item_rows = [self._item(sub_id, price, quantity, start) for price, quantity in items]
        discounts = []
        if coupon is not None:
            discount = self.make(
                "discount",
                customer=customer["id"],
                subscription=sub_id,
                start=start,
                end=None,
                source={"coupon": coupon, "type": "coupon"},
            )
            self.add("discounts", discount)
            discounts.append(discount["id"])
        sub = self.make(
            "subscription",
            **{
                "id": sub_id,
                "customer": customer["id"],
                "status": status,
                "currency": items[0][0]["currency"],
                "items": {
                    "object": "list",
                    "data": item_rows,
                    "has_more": False,
                    "url": f"/v1/subscription_items?subscription={sub_id}",
                },
                "discounts": discounts,
                "start_date": start,
                "created": start,
                "trial_start": None,
                "trial_end": None,
                "cancel_at": None,
                "canceled_at": None,
                "ended_at": None,
                "cancel_at_period_end": False,
                "metadata": {},
                "pending_update": None,
                "latest_invoice": None,
                **overrides,
            },
        )
        return self.add("subscriptions", sub)

    def _item(self, sub_id: str, price: dict, quantity: int, start: int) -> dict:
        months = {"day": 0, "week": 0, "month": 1, "year": 12}[price["recurring"]["interval"]]
        end = start + max(months * price["recurring"]["interval_count"], 1) * 30 * 86400
        item = self.make(
            "subscription_item",
            subscription=sub_id,
            price=price,
            quantity=quantity,
            current_period_start=start,
            current_period_end=end,
            created=start,
        )
        item.pop("plan", None)
        return item

    def add_paid_invoice(
        self, subscription: dict, *, amount: int, card: tuple[str, str] = ("visa", "4242"), **overrides: Any
    ) -> tuple[dict, dict]:
        """A paid invoice for `subscription` and the charge that paid it (linked by payment intent)."""
        intent = self.new_id("payment_intent")
        charge = self.make(
            "charge",
            amount=amount,
            amount_captured=amount,
            currency=subscription["currency"],
            customer=subscription["customer"],
            payment_intent=intent,
            paid=True,
            captured=True,
            status="succeeded",
            refunded=False,
            billing_details={**self.fixtures["charge"]["billing_details"], "name": None},
        )
        charge["payment_method_details"] = {
            "type": "card",
            "card": {
                **self.fixtures["charge"]["payment_method_details"]["card"],
                "brand": card[0],
                "last4": card[1],
            },
        }
        self.add("charges", charge)
        invoice = self.make(
            "invoice",
            **{
                "customer": subscription["customer"],
                "currency": subscription["currency"],
                "status": "paid",
                "subtotal": amount,
                "total": amount,
                "amount_due": amount,
                "amount_paid": amount,
                "amount_remaining": 0,
                "number": f"FAKE-{next(self._ids):05d}",
                "parent": {
                    "type": "subscription_details",
                    "quote_details": None,
                    "subscription_details": {"metadata": {}, "subscription": subscription["id"]},
                },
                "status_transitions": {
                    "finalized_at": self.clock,
                    "marked_uncollectible_at": None,
                    "paid_at": self.clock,
                    "voided_at": None,
                },
                **overrides,
            },
        )
        invoice["payments"] = {
            "object": "list",
            "has_more": False,
            "url": "/v1/invoice_payments",
            "data": [
                self.make(
                    "invoice_payment",
                    invoice=invoice["id"],
                    amount_paid=amount,
                    amount_requested=amount,
                    currency=invoice["currency"],
                    status="paid",
                    payment={"type": "payment_intent", "payment_intent": intent},
                )
            ],
        }
        self.add("invoices", invoice)
        return invoice, charge

    def update(self, resource: str, object_id: str, event_type: str, **changes: Any) -> dict:
        """Change a stored object and emit the matching event (with previous_attributes)."""
        obj = self.store[resource][object_id]
        previous = {key: obj.get(key) for key in changes}
        obj.update(changes)
        self.changed[resource].add(object_id)
        self.emit(event_type, obj, previous=previous)
        return obj

    def delete(self, resource: str, object_id: str) -> None:
        """Delete an object as Stripe does (it 404s/shows deleted) and emit `<kind>.deleted`."""
        obj = self.store[resource][object_id]
        obj["deleted"] = True
        self.changed[resource].add(object_id)
        self.emit(
            f"{RESOURCES[resource]}.deleted",
            {"id": object_id, "object": RESOURCES[resource], "deleted": True},
        )

    # -- snapshots (the demo's, dashboard/simulators/snapshots.py) -----------------------------------

    def saved_state(self) -> dict[str, Any]:
        """What changed since the fill, the idempotency keys Stripe still keeps, and where ids go on."""
        with self._lock:
            next_id = next(self._ids)
            self._ids = itertools.count(next_id)  # reading where ids go on must not use one up
            return copy.deepcopy(
                {
                    "objects": {
                        resource: {object_id: self.store[resource][object_id] for object_id in ids}
                        for resource, ids in self.changed.items()
                        if ids
                    },
                    "idempotent": {key: asdict(kept) for key, kept in self._idempotent.items()},
                    "next_id": next_id,
                }
            )

    def restore(self, state: dict[str, Any]) -> None:
        """Put a `saved_state()` back over the fill. A state of another shape raises before any change."""
        objects: dict[str, dict[str, dict]] = {}
        for resource, kept in state["objects"].items():
            if resource not in RESOURCES:
                raise ValueError(f"Stripe has no {resource!r}")
            objects[resource] = {_checked_id(obj, object_id): obj for object_id, obj in kept.items()}
        idempotent = {str(key): _Remembered(**kept) for key, kept in state["idempotent"].items()}
        next_id = int(state["next_id"])
        with self._lock:
            for resource, kept in objects.items():
                self.store[resource].update(kept)
                self.changed[resource].update(kept)
            self._idempotent.update(idempotent)
            self._ids = itertools.count(next_id)

    # -- faults and counts -------------------------------------------------------------------------

    def fail_next(
        self,
        pattern: str,
        *,
        status: int = 500,
        code: str | None = None,
        message: str | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """The next `times` requests whose "METHOD /path" matches `pattern` (after letting `after`
        through) answer `status` with Stripe's error object: its `code` and `message` if given, else what
        Stripe says with that status (402: card_declined, "Your card was declined.")."""
        fault = _Fault(re.compile(pattern), times, status, skip=after, code=code, message=message)
        self._faults.append(fault)

    def hang_next(self, pattern: str, *, seconds: float, times: int = 1) -> None:
        """The next `times` matching requests wait `seconds` before answering (past a client timeout)."""
        self._faults.append(_Fault(re.compile(pattern), times, None, seconds))

    def lose_response_next(self, pattern: str, *, times: int = 1) -> None:
        """The next `times` matching requests are carried out, then the connection drops unanswered."""
        self._faults.append(_Fault(re.compile(pattern), times, None, lose_response=True))

    def advance(self, seconds: int) -> None:
        """Move the fake's clock (idempotency keys older than their lifetime are forgotten)."""
        with self._lock:
            self.clock += seconds

    def calls_to(self, prefix: str) -> int:
        return sum(count for key, count in self.calls.items() if key.split(" ", 1)[1].startswith(prefix))

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def _take_fault(self, signature: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.remaining > 0 and fault.pattern.search(signature):
                    if fault.skip > 0:
                        fault.skip -= 1
                        continue
                    fault.remaining -= 1
                    return fault
        return None

    # -- dispatch ----------------------------------------------------------------------------------

    def handle(self, request: Request) -> tuple[int, dict, dict[str, str]]:
        self.ready.wait()
        signature = f"{request.method} {request.path}"
        self.calls[signature] += 1
        if self.follow_clock is not None:
            with self._lock:
                self.clock = max(self.clock, self.follow_clock())
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            status, body = stripe_error(401, "Invalid API Key provided.")
            return status, body, {}
        fault = self._take_fault(signature)
        if fault is not None and fault.status is None and not fault.lose_response:
            time.sleep(fault.hang_seconds)
        elif fault is not None and fault.status is not None:
            status, body = fault.answer(signature)
            return status, body, {}
        status, body, extra = self._idempotently(request)
        if request.method != "GET" and self.on_change is not None:
            with self._lock:  # one save at a time, each of the state as it is then
                self.on_change()
        if fault is not None and fault.lose_response:
            raise ResponseLost(signature)
        return status, body, extra

    def _idempotently(self, request: Request) -> tuple[int, dict, dict[str, str]]:
        """Run the request, or replay what its idempotency key stored (while Stripe still keeps it)."""
        key = request.headers.get("idempotency-key") if request.method == "POST" else None
        if not key:
            return (*self._route(request), {})
        with self._lock:
            remembered = self._idempotent.get(key)
            if remembered is not None and self.clock - remembered.at > IDEMPOTENCY_KEY_LIFETIME:
                remembered = None  # pruned: the key is new again
            if remembered is not None and remembered.params != request.form:
                status, body = stripe_error(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters they were "
                    "first used with.",
                    "idempotency_error",
                )
                return status, body, {}
            if remembered is not None:
                return remembered.status, remembered.body, {"idempotent-replayed": "true"}
            status, body = self._route(request)
            self._idempotent[key] = _Remembered(status, body, dict(request.form), self.clock)
            return status, body, {}

    def _route(self, request: Request) -> tuple[int, dict]:
        for method, pattern, handler in _ROUTES:
            found = pattern.match(request.path)
            if method == request.method and found:
                request.match = found.groupdict()
                with self._lock:
                    return handler(self, request)
        return stripe_error(404, f"Unrecognized request URL ({request.method}: {request.path}).")

    # -- helpers for handlers ----------------------------------------------------------------------

    def expanded(self, resource: str, obj: dict, expand: list[str]) -> dict:
        """A copy of `obj` as the API shows it, with the requested expansions applied."""
        shown = copy.deepcopy(obj)
        if resource == "subscriptions":
            if "discounts" not in expand:
                shown["discounts"] = [d if isinstance(d, str) else d["id"] for d in shown["discounts"]]
            else:
                shown["discounts"] = [
                    self.store["discounts"].get(d, d) if isinstance(d, str) else d for d in shown["discounts"]
                ]
        if resource == "invoices" and "payments" not in expand:
            shown.pop("payments", None)
        return shown

    def list_response(self, resource: str, objects: list[dict], request: Request) -> dict:
        limit = min(int(request.param("limit", "10")), 100)
        after = request.param("starting_after")
        ordered = sorted(objects, key=lambda o: (-o.get("created", 0), o["id"]))
        if after:
            ids = [o["id"] for o in ordered]
            ordered = ordered[ids.index(after) + 1 :] if after in ids else []
        page = ordered[:limit]
        expand = [e.removeprefix("data.") for e in request.list("expand")]
        return {
            "object": "list",
            "url": f"/v1/{resource}",
            "has_more": len(ordered) > limit,
            "data": [self.expanded(resource, o, expand) for o in page],
        }


def _checked_id(obj: Any, object_id: str) -> str:
    if not isinstance(obj, dict) or obj.get("id") != object_id:
        raise ValueError(f"object {object_id!r} is not a Stripe object with that id")
    return object_id


def _created_filter(request: Request) -> Callable[[dict], bool]:
    bounds = {
        op: int(request.param(f"created[{op}]"))
        for op in ("gt", "gte", "lt", "lte")
        if request.param(f"created[{op}]") is not None
    }
    checks = {
        "gt": lambda v, b: v > b,
        "gte": lambda v, b: v >= b,
        "lt": lambda v, b: v < b,
        "lte": lambda v, b: v <= b,
    }
    return lambda obj: all(checks[op](obj.get("created", 0), bound) for op, bound in bounds.items())


_COLLECTION = "(?P<resource>" + "|".join(RESOURCES) + ")"


@route("GET", rf"/v1/{_COLLECTION}")
def list_objects(fake: StripeSimulator, request: Request) -> tuple[int, dict]:
    resource = request.match["resource"]
    keep = _created_filter(request)
    objects = [o for o in fake.store[resource].values() if keep(o) and not o.get("deleted")]
    if resource == "subscriptions" and request.param("status", "active") != "all":
        wanted = request.param("status", None)
        objects = [o for o in objects if (o["status"] == wanted if wanted else o["status"] != "canceled")]
    for name in ("customer", "charge", "invoice"):
        if request.param(name):
            objects = [o for o in objects if o.get(name) == request.param(name)]
    return 200, fake.list_response(resource, objects, request)


@route("GET", rf"/v1/{_COLLECTION}/(?P<id>[^/]+)")
def retrieve_object(fake: StripeSimulator, request: Request) -> tuple[int, dict]:
    resource = request.match["resource"]
    obj = fake.get(resource, request.match["id"])
    if obj is None:
        missing = f"No such {RESOURCES[resource]}: '{request.match['id']}'"
        return stripe_error(404, missing, code="resource_missing")
    if obj.get("deleted"):
        return 200, {"id": obj["id"], "object": RESOURCES[resource], "deleted": True}
    return 200, fake.expanded(resource, obj, request.list("expand"))


def _make_handler(fake: StripeSimulator) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:  # keep test output quiet
            return

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            request = Request(
                method=method,
                path=parts.path,
                query=dict(parse_qsl(parts.query)),
                form=dict(parse_qsl(body, keep_blank_values=True)),
                headers={k.lower(): v for k, v in self.headers.items()},
            )
            try:
                status, payload, extra = fake.handle(request)
            except ResponseLost:  # the write happened; the answer never leaves the server
                self.close_connection = True
                return
            except Exception as error:  # a bug in a handler: answer like Stripe's 500, keep serving
                status, payload = stripe_error(500, f"fake handler crashed: {error!r}", "api_error")
                extra = {}
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", f"req_fake{next(fake._ids)}")
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
                return

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

    return _Handler
