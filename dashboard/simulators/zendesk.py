"""A Zendesk simulator on 127.0.0.1 serving several Zendesk accounts (demo, tests, benchmarks), for zenpy.

How it is used
--------------
    with ZendeskSimulator() as fake:                       # free port, own thread; stopped on exit
        acme = fake.add_account("acme", email="bot@acme.test", token="t0k")
        acme.installations.append(installation(id=1, app_id=900001))
        gateway = ZendeskGateway(api_base=fake.base_url, timeout=1)
        client = gateway.client(subdomain="acme", email="bot@acme.test", token="t0k")

Accounts are told apart by the Host header (`acme.zendesk.com`), which the gateway's redirecting
adapter keeps; requests to `/_sub/{subdomain}/api/v2/...` work too (handy with ZENPY_FORCE_NETLOC).
Every request must carry the account's `email/token:token` basic auth, or it gets a 401.

Real shapes (issue 18): 12-14 digit ids, nulls where real accounts have them, the installations
envelope without `next_page` (`account.page_installations = True` pages it, to test that the gateway
still follows one), cursor pages (`page[size]=`) and offset pages (`page=`), and on every answer the
real rate-limit headers `x-rate-limit` / `x-rate-limit-remaining`. `tests/contracts/zendesk/` holds
recorded real examples that `tests/test_zendesk_contracts.py` compares the fake's answers with.

Rate limit (per account, like Zendesk's): `account.rate_limit` allows `per_minute` requests (700, the
Enterprise plan) in each fixed one-minute window of the fake's clock, then answers 429 with a
lowercase `retry-after` (seconds to the window's end). `ZendeskSimulator(clock=...)` injects the clock, so a
test can pair it with a virtual sleep and run minutes of rate-limited traffic in a second;
`account.rate_limit.use(n)` spends quota as another app in the same account would.

Faults (per account, consumed in order, one per request): `account.fail_next(status=429,
retry_after=1)`, `account.fail_next(status=500)`, `account.fail_next(delay=2.0)` (answers late:
a client timeout). `fake.calls` records (subdomain, method, path, query) for every request.

Adding endpoints (route registry)
---------------------------------
Routes are (method, regex on the path) -> handler(request) returning `Reply(status, body, headers)`.
Register more on an instance, or on the class for every fake:

    @ZendeskSimulator.route("GET", r"/api/v2/users/(?P<user_id>\\d+)/tickets/requested\\.json")
    def requested(request: ZendeskRequest) -> Reply:
        account = request.account                     # the SimulatedAccount the Host header names
        user_id = int(request.params["user_id"])
        tickets = [t for t in account.records["tickets"] if t["requester_id"] == user_id]
        return request.paged("tickets", tickets)      # `next_page` paging like Zendesk

`SimulatedAccount.records` is a dict of lists (e.g. "users", "tickets", "comments") for those endpoints to
share; `request.paged(key, items)` slices by `?page=` with `fake.page_size` items a page.
"""

from __future__ import annotations

import base64
import copy
import json
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    status: int | None = None
    retry_after: int | None = None
    delay: float = 0.0


@dataclass
class RateLimit:
    """Zendesk's per-account limit: `per_minute` requests in each fixed minute of `clock`."""

    clock: Callable[[], float]
    per_minute: int = 700
    window: int = -1
    used: int = 0
    rejected: int = 0

    def _roll(self) -> None:
        window = int(self.clock() // 60)
        if window != self.window:
            self.window, self.used = window, 0

    def use(self, requests: int = 1) -> bool:
        """Spend `requests` of this minute's quota; False (nothing spent) when it would go past it."""
        self._roll()
        if self.used + requests > self.per_minute:
            self.rejected += 1
            return False
        self.used += requests
        return True

    def headers(self) -> dict[str, str]:
        return {
            "x-rate-limit": str(self.per_minute),
            "x-rate-limit-remaining": str(self.per_minute - self.used),
        }

    def retry_after(self) -> int:
        """Whole seconds until the current window ends (at least 1), as Zendesk's `retry-after` says."""
        return max(1, math.ceil((self.window + 1) * 60 - self.clock()))


@dataclass
class SimulatedAccount:
    subdomain: str
    email: str
    token: str
    rate_limit: RateLimit
    installations: list[dict[str, Any]] = field(default_factory=list)
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    page_installations: bool = False
    search_lag_seconds: float = 0.0  # search keeps listing a permanently deleted user this long

    def fail_next(
        self, *, status: int | None = None, retry_after: int | None = None, delay: float = 0.0, times: int = 1
    ) -> None:
        self.faults.extend(Fault(status, retry_after, delay) for _ in range(times))

    def authorization_ok(self, header: str | None) -> bool:
        expected = base64.b64encode(f"{self.email}/token:{self.token}".encode()).decode()
        return header == f"Basic {expected}"


@dataclass
class ZendeskRequest:
    fake: ZendeskSimulator
    account: SimulatedAccount
    method: str
    path: str
    query: dict[str, list[str]]
    params: dict[str, str]
    body: Any

    @property
    def url(self) -> str:
        return f"https://{self.account.subdomain}.zendesk.com{self.path}"

    def paged(self, key: str, items: list[dict[str, Any]], **extra: Any) -> Reply:
        """A cursor page when the client asks `page[size]=`, else an offset page (`page=`), as Zendesk."""
        if "page[size]" in self.query:
            return self._cursor_page(key, items)
        page = int(self.query.get("page", ["1"])[0])
        size = self.fake.page_size
        chunk = items[(page - 1) * size : page * size]
        next_page = f"{self.url}?page={page + 1}" if page * size < len(items) else None
        previous_page = f"{self.url}?page={page - 1}" if page > 1 else None
        return Reply(
            200,
            {
                key: chunk,
                **extra,
                "next_page": next_page,
                "previous_page": previous_page,
                "count": len(items),
            },
        )

    def _cursor_page(self, key: str, items: list[dict[str, Any]]) -> Reply:
        size = min(int(self.query["page[size]"][0]), 100)
        after = self.query.get("page[after]", [""])[0]
        start = int(after[1:]) if after.startswith("c") else 0
        chunk = items[start : start + size]
        more = start + size < len(items)
        after_cursor, before_cursor = f"c{start + len(chunk)}", f"c{start}"
        next_link = f"{self.url}?page[size]={size}&page[after]={after_cursor}" if more else None
        return Reply(
            200,
            {
                key: chunk,
                "meta": {"has_more": more, "after_cursor": after_cursor, "before_cursor": before_cursor},
                "links": {"next": next_link, "prev": None},
            },
        )


Handler = Callable[[ZendeskRequest], Reply]


def installation(
    *,
    id: int,
    app_id: int,
    enabled: bool = True,
    plan: str | None = "Team",
    paid: bool | None = True,
    seats: int | None = None,
    stripe_subscription_id: str | None = None,
    created_at: str = "2026-01-05T10:00:00Z",
    title: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An installation payload shaped like Zendesk's (tests/contracts/zendesk/installations.json).
    `paid=None` and `plan=None` are the nulls real accounts send (`plan_information: {"name": null}`);
    `title` is the app's name in the installation's settings."""
    title = title or f"App {app_id}"
    settings = {"name": title, "title": title}
    if seats is not None:
        settings["seats"] = str(seats)
    payload = {
        "id": id,
        "app_id": app_id,
        "product": "support",
        "settings": settings,
        "settings_objects": [{"name": name, "value": value} for name, value in settings.items()],
        "enabled": enabled,
        "updated_at": created_at,
        "created_at": created_at,
        "role_restrictions": None,
        "group_restrictions": None,
        "recurring_payment": bool(paid),
        "plan_information": {"name": plan},
        "paid": paid,
        "has_unpaid_subscription": None if paid is None else False,
        "has_incomplete_subscription": False,
        "stripe_account": "acct_1Mq2Zx4fKd0aB9cD",
        "stripe_subscription_id": stripe_subscription_id,
        "collapsible": True,
        "pending": False,
        "requirements_only": False,
    }
    payload.update(extra)
    return payload


def old_installation(
    *,
    id: int,
    app_id: int,
    enabled: bool = True,
    seats: int | None = None,
    created_at: str = "2017-02-14T09:30:00Z",
) -> dict[str, Any]:
    """An installation from before Marketplace billing: no `settings_objects`, plan, payment or Stripe
    fields; seats, if any, only in `settings` (tests/contracts/zendesk/installations_old.json)."""
    settings: dict[str, Any] = {"name": f"App {app_id}", "title": f"App {app_id}"}
    if seats is not None:
        settings["number_of_seats"] = str(seats)
    return {
        "id": id,
        "app_id": app_id,
        "product": "support",
        "settings": settings,
        "enabled": enabled,
        "updated_at": created_at,
        "created_at": created_at,
        "role_restrictions": None,
        "group_restrictions": None,
        "collapsible": True,
        "pending": False,
        "requirements_only": False,
    }


class ZendeskSimulator:
    """The server. Use as a context manager, or `start()` / `stop()`."""

    _class_routes: ClassVar[list[tuple[str, re.Pattern[str], Handler]]] = []

    def __init__(self, page_size: int = 100, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.accounts: dict[str, SimulatedAccount] = {}
        self.calls: list[tuple[str, str, str, str]] = []
        self.page_size = page_size
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        # Accounts a write request reached: the part a snapshot keeps (dashboard/simulators/snapshots.py).
        self.changed: set[str] = set()
        self.on_change: Callable[[], None] | None = None  # after each write request, one at a time
        self._saving = threading.Lock()

    # -- routes -----------------------------------------------------------------------------------
    @classmethod
    def route(cls, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            cls._class_routes.append((method.upper(), re.compile(pattern + r"\Z"), handler))
            return handler

        return register

    def add_route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method.upper(), re.compile(pattern + r"\Z"), handler))

    def _find_route(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        for route_method, regex, handler in [*self._routes, *self._class_routes]:
            match = regex.match(path)
            if route_method == method and match:
                return handler, match.groupdict()
        return None

    # -- accounts ---------------------------------------------------------------------------------
    def add_account(
        self,
        subdomain: str,
        *,
        email: str = "api@company.test",
        token: str = "good-token",
        installations: list[dict[str, Any]] | None = None,
    ) -> SimulatedAccount:
        account = SimulatedAccount(subdomain, email, token, RateLimit(self.clock), list(installations or []))
        self.accounts[subdomain] = account
        return account

    def calls_for(self, subdomain: str) -> list[tuple[str, str, str, str]]:
        return [call for call in self.calls if call[0] == subdomain]

    # -- server -----------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ZendeskSimulator:
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self)

            do_POST = do_PUT = do_DELETE = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ZendeskSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling -------------------------------------------------------------------------
    def _split_target(self, handler: BaseHTTPRequestHandler) -> tuple[str, str, str]:
        """(subdomain, path, query) from the Host header or a /_sub/{subdomain} path prefix."""
        url = urlsplit(handler.path)
        path = url.path
        prefixed = re.match(r"/_sub/([^/]+)(/.*)", path)
        if prefixed:
            return prefixed.group(1), prefixed.group(2), url.query
        host = (handler.headers.get("Host") or "").split(":")[0]
        return host.removesuffix(".zendesk.com"), path, url.query

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        subdomain, path, query = self._split_target(handler)
        method = handler.command
        with self._lock:
            self.calls.append((subdomain, method, path, query))
        account = self.accounts.get(subdomain)
        if account is None:
            self._send(handler, Reply(404, {"error": "NoSuchAccount"}))
            return
        if not account.authorization_ok(handler.headers.get("Authorization")):
            self._send(handler, Reply(401, {"error": "Couldn't authenticate you"}))
            return
        with self._lock:
            fault = account.faults.pop(0) if account.faults else None
            allowed = account.rate_limit.use()
            limit_headers = account.rate_limit.headers()
            retry_after = account.rate_limit.retry_after()
        if not allowed:
            self._send(handler, Reply(429, None, {"retry-after": str(retry_after), **limit_headers}))
            return
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.status is not None:
                headers = {"retry-after": str(fault.retry_after)} if fault.retry_after is not None else {}
                self._send(handler, Reply(fault.status, {"error": f"Injected {fault.status}"}, headers))
                return
        found = self._find_route(method, path)
        if found is None:
            self._send(handler, Reply(404, {"error": "InvalidEndpoint"}))
            return
        route_handler, params = found
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        request = ZendeskRequest(
            self, account, method, path, parse_qs(query), params, json.loads(raw) if raw else None
        )
        reply = route_handler(request)
        if method != "GET":
            self._changed(subdomain)
        self._send(handler, Reply(reply.status, reply.body, {**limit_headers, **reply.headers}))

    def _changed(self, subdomain: str) -> None:
        with self._saving:  # one save at a time, each of the state as it is then
            self.changed.add(subdomain)
            if self.on_change is not None:
                self.on_change()

    # -- snapshots (the demo's) -------------------------------------------------------------------
    def saved_state(self) -> dict[str, Any]:
        """The records of every account a write request reached."""
        return copy.deepcopy(
            {
                "accounts": {
                    subdomain: {
                        "records": self.accounts[subdomain].records,
                        "installations": self.accounts[subdomain].installations,
                    }
                    for subdomain in sorted(self.changed)
                }
            }
        )

    def restore(self, state: dict[str, Any]) -> None:
        """Put a `saved_state()` back over the fill. A state of another shape raises before any change;
        an account no longer simulated is left out."""
        kept = {
            str(subdomain): (_record_lists(saved["records"]), list(saved["installations"]))
            for subdomain, saved in state["accounts"].items()
        }
        for subdomain, (records, installations) in kept.items():
            account = self.accounts.get(subdomain)
            if account is not None:
                account.records, account.installations = records, installations
                self.changed.add(subdomain)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        body = b"" if reply.body is None else json.dumps(reply.body).encode()
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", "application/json; charset=utf-8")
            handler.send_header("Content-Length", str(len(body)))
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)


def _record_lists(records: Any) -> dict[str, list[dict[str, Any]]]:
    if not isinstance(records, dict) or not all(isinstance(items, list) for items in records.values()):
        raise ValueError("an account's records are not lists by kind")
    return {str(kind): list(items) for kind, items in records.items()}


@ZendeskSimulator.route("GET", r"/api/v2/apps/installations\.json")
def _installations(request: ZendeskRequest) -> Reply:
    if request.account.page_installations:
        return request.paged("installations", request.account.installations)
    return Reply(200, {"installations": request.account.installations})  # Zendesk's: one envelope
