"""A fake Zendesk API on 127.0.0.1 serving several Zendesk accounts, for zenpy to be pointed at.

How it is used
--------------
    with FakeZendesk() as fake:                       # free port, own thread; stopped on exit
        acme = fake.add_account("acme", email="bot@acme.test", token="t0k")
        acme.installations.append(installation(id=1, app_id=900001))
        gateway = ZendeskGateway(api_base=fake.base_url, timeout=1)
        client = gateway.client(subdomain="acme", email="bot@acme.test", token="t0k")

Accounts are told apart by the Host header (`acme.zendesk.com`), which the gateway's redirecting
adapter keeps; requests to `/_sub/{subdomain}/api/v2/...` work too (handy with ZENPY_FORCE_NETLOC).
Every request must carry the account's `email/token:token` basic auth, or it gets a 401.

Faults (per account, consumed in order, one per request): `account.fail_next(status=429,
retry_after=1)`, `account.fail_next(status=500)`, `account.fail_next(delay=2.0)` (answers late:
a client timeout). `fake.calls` records (subdomain, method, path, query) for every request.

Adding endpoints (route registry)
---------------------------------
Routes are (method, regex on the path) -> handler(request) returning `Reply(status, body, headers)`.
Register more on an instance, or on the class for every fake:

    @FakeZendesk.route("GET", r"/api/v2/users/(?P<user_id>\\d+)/tickets/requested\\.json")
    def requested(request: FakeRequest) -> Reply:
        account = request.account                     # the FakeAccount the Host header names
        user_id = int(request.params["user_id"])
        tickets = [t for t in account.records["tickets"] if t["requester_id"] == user_id]
        return request.paged("tickets", tickets)      # `next_page` paging like Zendesk

`FakeAccount.records` is a dict of lists (e.g. "users", "tickets", "comments") for those endpoints to
share; `request.paged(key, items)` slices by `?page=` with `fake.page_size` items a page.
"""

from __future__ import annotations

import base64
import json
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
class FakeAccount:
    subdomain: str
    email: str
    token: str
    installations: list[dict[str, Any]] = field(default_factory=list)
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)

    def fail_next(
        self, *, status: int | None = None, retry_after: int | None = None, delay: float = 0.0, times: int = 1
    ) -> None:
        self.faults.extend(Fault(status, retry_after, delay) for _ in range(times))

    def authorization_ok(self, header: str | None) -> bool:
        expected = base64.b64encode(f"{self.email}/token:{self.token}".encode()).decode()
        return header == f"Basic {expected}"


@dataclass
class FakeRequest:
    fake: FakeZendesk
    account: FakeAccount
    method: str
    path: str
    query: dict[str, list[str]]
    params: dict[str, str]
    body: Any

    def paged(self, key: str, items: list[dict[str, Any]]) -> Reply:
        page = int(self.query.get("page", ["1"])[0])
        size = self.fake.page_size
        chunk = items[(page - 1) * size : page * size]
        more = page * size < len(items)
        base = f"https://{self.account.subdomain}.zendesk.com{self.path}"
        next_page = f"{base}?page={page + 1}" if more else None
        return Reply(200, {key: chunk, "next_page": next_page, "previous_page": None, "count": len(items)})


Handler = Callable[[FakeRequest], Reply]


def installation(
    *,
    id: int,
    app_id: int,
    enabled: bool = True,
    plan: str | None = "Team",
    paid: bool = True,
    seats: int | None = None,
    stripe_subscription_id: str | None = None,
    created_at: str = "2026-01-05T10:00:00Z",
    **extra: Any,
) -> dict[str, Any]:
    """An installation payload shaped like Zendesk's (see ../shared/reference/zendesk.md)."""
    settings_objects = [{"name": "title", "value": f"App {app_id}"}]
    if seats is not None:
        settings_objects.append({"name": "seats", "value": str(seats)})
    payload = {
        "id": id,
        "app_id": app_id,
        "product": "support",
        "enabled": enabled,
        "settings": {"name": f"App {app_id}", "title": f"App {app_id}"},
        "settings_objects": settings_objects,
        "created_at": created_at,
        "updated_at": created_at,
        "role_restrictions": None,
        "group_restrictions": None,
        "recurring_payment": paid,
        "plan_information": {"name": plan} if plan else None,
        "paid": paid,
        "has_unpaid_subscription": False,
        "has_incomplete_subscription": False,
        "stripe_account": "acct_demo",
        "stripe_subscription_id": stripe_subscription_id,
    }
    payload.update(extra)
    return payload


class FakeZendesk:
    """The server. Use as a context manager, or `start()` / `stop()`."""

    _class_routes: ClassVar[list[tuple[str, re.Pattern[str], Handler]]] = []

    def __init__(self, page_size: int = 100) -> None:
        self.accounts: dict[str, FakeAccount] = {}
        self.calls: list[tuple[str, str, str, str]] = []
        self.page_size = page_size
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

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
    ) -> FakeAccount:
        account = FakeAccount(subdomain, email, token, list(installations or []))
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

    def start(self) -> FakeZendesk:
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

    def __enter__(self) -> FakeZendesk:
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
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.status is not None:
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                self._send(handler, Reply(fault.status, {"error": f"Injected {fault.status}"}, headers))
                return
        found = self._find_route(method, path)
        if found is None:
            self._send(handler, Reply(404, {"error": "InvalidEndpoint"}))
            return
        route_handler, params = found
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        request = FakeRequest(
            self, account, method, path, parse_qs(query), params, json.loads(raw) if raw else None
        )
        self._send(handler, route_handler(request))

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


@FakeZendesk.route("GET", r"/api/v2/apps/installations\.json")
def _installations(request: FakeRequest) -> Reply:
    return request.paged("installations", request.account.installations)
