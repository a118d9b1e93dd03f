"""The only module that talks to Zendesk (through zenpy).

One `ZendeskClient` per Zendesk account and run. Every request goes through zenpy's shared requests
session, whose transport (`ZendeskAdapter`) paces the account to its rate limit and waits out 429s by
their `retry-after` against the account's and the run's wait budgets (`AccountRateLimiter`), for the
calls zenpy has no API for (app installations) exactly as for the ones it has (users, tickets, search).
zenpy's own `ratelimit_budget` is not used: it is spent per sub-API object for the client's whole life.

Failures become one `ZendeskAccountError` per account with a `kind` a person can act on:
`auth` (bad token or email, 401), `permission` (403: the API user's role lacks it; the message says
which), `not_found`, `rate_limited` (429 past a wait budget), `timeout`, `unreachable`, `api`. Messages
name the endpoint (`DELETE /api/v2/users/{id}.json`), never the token or the query (it may hold an email).

Local fakes: `ZendeskGateway(api_base="http://127.0.0.1:PORT")` makes the client's transport send
`https://{subdomain}.zendesk.com/...` to that address, keeping the Host header, so a fake can tell
accounts apart. Nothing process-wide (no ZENPY_FORCE_* variables).

Extending (privacy exports and deletions): add a method on `ZendeskClient` that calls `self.zenpy`
(e.g. `self.zenpy.search(type="user", email=...)`) inside `with self.mapped_errors():`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from zenpy import Zenpy
from zenpy.lib.api_objects import User
from zenpy.lib.exception import APIException, ZenpyException

from models.types import MAX_BIGINT, MAX_INTEGER

log = logging.getLogger(__name__)

ZENDESK_DOMAIN = "zendesk.com"
INSTALLATIONS_PATH = "/api/v2/apps/installations.json"
# Settings keys that carry the number of seats an installation was set up for.
SEAT_SETTING_NAMES = ("seats", "seat_count", "number_of_seats", "licensed_seats")
# Settings worth keeping beside the installation (never tokens or other app secrets).
KEPT_SETTING_NAMES = ("name", "title")
MAX_PAGES = 1000


class ZendeskAccountError(Exception):
    """One Zendesk account could not be read; `kind` says why, `message` says it to a person."""

    def __init__(self, subdomain: str, kind: str, message: str) -> None:
        super().__init__(f"{subdomain}: {message}")
        self.subdomain = subdomain
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class ZendeskInstallation:
    """One app installation as Zendesk reports it, parsed defensively (absent fields get defaults)."""

    installation_id: int
    app_id: int
    enabled: bool
    plan_name: str = ""
    paid: bool = False
    has_unpaid_subscription: bool = False
    has_incomplete_subscription: bool = False
    stripe_subscription_id: str | None = None
    seats: int | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _as_id(value: Any) -> int | None:
    """A Zendesk id (12-14 digits today): a positive whole number that fits 64 bits, else None."""
    number = _as_int(value)
    return number if number is not None and 0 < number <= MAX_BIGINT else None


def _as_seats(value: Any) -> int | None:
    """A seat count (stored in a 32-bit column): 0 up to MAX_INTEGER, else None (unknown)."""
    number = _as_int(value)
    return number if number is not None and 0 <= number <= MAX_INTEGER else None


def _as_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _merged_settings(payload: dict[str, Any]) -> dict[str, Any]:
    """`settings` and `settings_objects` ([{name, value}]) as one dict; the objects list wins."""
    merged: dict[str, Any] = (
        dict(payload.get("settings") or {}) if isinstance(payload.get("settings"), dict) else {}
    )
    for item in payload.get("settings_objects") or []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            merged[item["name"]] = item.get("value")
    return merged


def parse_installation(payload: Any) -> ZendeskInstallation | None:
    """One installation from the API payload, or None when it lacks an id or an app id."""
    if not isinstance(payload, dict):
        return None
    installation_id, app_id = _as_id(payload.get("id")), _as_id(payload.get("app_id"))
    if installation_id is None or app_id is None:
        return None
    settings = _merged_settings(payload)
    seats = next((_as_seats(settings[name]) for name in SEAT_SETTING_NAMES if name in settings), None)
    plan = payload.get("plan_information")
    plan_name = plan.get("name") if isinstance(plan, dict) else None
    subscription = payload.get("stripe_subscription_id")
    return ZendeskInstallation(
        installation_id=installation_id,
        app_id=app_id,
        enabled=_as_bool(payload.get("enabled", True)),
        plan_name=str(plan_name or "")[:100],
        paid=_as_bool(payload.get("paid")),
        has_unpaid_subscription=_as_bool(payload.get("has_unpaid_subscription")),
        has_incomplete_subscription=_as_bool(payload.get("has_incomplete_subscription")),
        stripe_subscription_id=str(subscription)[:64] if subscription else None,
        seats=seats,
        settings={name: str(settings[name])[:200] for name in KEPT_SETTING_NAMES if settings.get(name)},
        created_at=_as_datetime(payload.get("created_at")),
        updated_at=_as_datetime(payload.get("updated_at")),
    )


def _endpoint(response: requests.Response | None) -> str:
    """`METHOD /api/v2/...` of the request `response` answers (no host, no query: it may hold an email)."""
    request = response.request if response is not None else None
    if request is None:
        return "API"
    return f"{request.method} {urlsplit(request.url or '').path}"


def _permission_needed(endpoint: str) -> str:
    """What the API user needs for `endpoint`, said so an admin knows which role or setting to change."""
    if endpoint.startswith("DELETE /api/v2/users/") or endpoint.startswith("DELETE /api/v2/deleted_users/"):
        return (
            "the API user may not delete users. Deleting (and permanently deleting) users needs a Zendesk "
            "admin, or an agent whose custom role allows deleting users; change the API user's role."
        )
    if endpoint.startswith("GET /api/v2/apps/"):
        return "listing app installations needs a Zendesk admin as the API user."
    return "the API user's Zendesk role lacks the permission for this; use an admin or widen the role."


def _timed_out(error: requests.ConnectionError) -> bool:
    """requests reports read timeouts that exhausted urllib3's retries as a ConnectionError."""
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, TimeoutError | urllib3.exceptions.TimeoutError)


class MonotonicTimer:
    """Waits for the rate limiter; tests hand the gateway a virtual one (same two methods)."""

    def now(self) -> float:
        return time.monotonic()

    def sleep_until(self, deadline: float) -> None:
        time.sleep(max(0.0, deadline - time.monotonic()))


@dataclass
class WaitBudget:
    """Seconds that may be spent waiting out Zendesk's 429s: one per account and one per run."""

    seconds: float
    label: str  # "account's" or "run's"
    setting: str  # the setting that sets it, named in the error so a person knows what to raise
    spent: float = 0.0

    def allows(self, wait: float) -> bool:
        return self.spent + wait <= self.seconds


class RateLimitWaitExceeded(requests.RequestException):
    """Zendesk kept answering 429 past a wait budget; the message says which budget and how long."""


class AccountRateLimiter:
    """One Zendesk account's requests in one run, from every thread and sub-API of its client.

    Paces requests to the account's limit in any sliding minute (Zendesk's `x-rate-limit` header, or
    `per_minute` until one arrives), so the account's quota is not overrun; when Zendesk still answers 429
    (other apps share the quota) every thread pauses for its `retry-after`, charged to the account's and
    the run's wait budgets, and the request is sent again. A 429 without `retry-after` is handed back.
    """

    def __init__(
        self, *, per_minute: int, budgets: list[WaitBudget], timer: MonotonicTimer, subdomain: str
    ) -> None:
        self.per_minute = per_minute
        self.budgets = budgets
        self.timer = timer
        self.subdomain = subdomain
        self.http_requests = 0
        self.rate_limited = 0
        self._sent: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def wait_for_slot(self) -> None:
        with self._lock:
            now = self.timer.now()
            while self._sent and self._sent[0] <= now - 60:
                self._sent.popleft()
            slot = max(now, self._paused_until, self._sent[-1] if self._sent else now)
            if len(self._sent) >= self.per_minute:
                slot = max(slot, self._sent[-self.per_minute] + 60)
            self._sent.append(slot)
            self.http_requests += 1
        self.timer.sleep_until(slot)

    def retry_after(self, response: requests.Response) -> float | None:
        """Seconds to pause before sending again, or None when `response` is the answer to hand back."""
        self._learn_limit(response)
        if response.status_code != 429:
            return None
        wait = _as_int(response.headers.get("retry-after"))
        if wait is None:
            return None
        wait = float(max(wait, 1))
        with self._lock:
            self.rate_limited += 1
            now = self.timer.now()
            # Threads answered 429 together pause together: a budget counts the pause, not each thread's.
            extra = max(0.0, now + wait - max(self._paused_until, now))
            spent = next((b for b in self.budgets if not b.allows(extra)), None)
            if spent is not None:
                raise RateLimitWaitExceeded(
                    f"Zendesk kept answering 429 (rate limited) and asked for {wait:.0f} s more, past the "
                    f"{spent.label} wait budget of {spent.seconds:.0f} s ({spent.spent:.0f} s already "
                    f"waited; setting {spent.setting}). Retry later, or raise the budget."
                )
            for budget in self.budgets:
                budget.spent += extra
            self._paused_until = max(self._paused_until, now + wait)
        return wait

    def _learn_limit(self, response: requests.Response) -> None:
        limit = _as_int(response.headers.get("x-rate-limit"))
        if limit is not None and limit > 0:
            self.per_minute = limit


class ZendeskAdapter(HTTPAdapter):
    """zenpy's transport for one account: every request paced and 429s waited out by `limiter`.
    With `base` (a local fake), https://{subdomain}.zendesk.com/... goes there, keeping the Host header."""

    def __init__(self, limiter: AccountRateLimiter, base: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.limiter = limiter
        self._base = urlsplit(base) if base else None

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        while True:
            self.limiter.wait_for_slot()
            response = super().send(self._target(request), **kwargs)
            if self.limiter.retry_after(response) is None:
                break
            response.close()
        # zenpy only parses responses whose request URL is its own base URL: show the original one.
        response.request, response.url = request, request.url or ""
        return response

    def _target(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._base is None:
            return request
        original = urlsplit(request.url or "")
        local = request.copy()
        local.headers["Host"] = original.netloc
        local.url = urlunsplit((self._base.scheme, self._base.netloc, original.path, original.query, ""))
        return local


@dataclass(frozen=True)
class UserMatches:
    """A user search by email: exact (case-insensitive) matches, and near matches for a person to review."""

    exact: list[dict[str, Any]]
    near: list[dict[str, Any]]


class ZendeskClient:
    """zenpy for one Zendesk account, with its errors mapped to `ZendeskAccountError`."""

    def __init__(
        self,
        zenpy: Zenpy,
        subdomain: str,
        limiter: AccountRateLimiter,
        *,
        workers: int = 4,
        check_window: float = 120,
    ) -> None:
        self.zenpy = zenpy
        self.subdomain = subdomain
        self.limiter = limiter
        self.workers = workers
        self.check_window = check_window
        self.requests_made = 0

    @property
    def base_url(self) -> str:
        return f"https://{self.subdomain}.{ZENDESK_DOMAIN}"

    @contextmanager
    def mapped_errors(self) -> Iterator[None]:
        """Run a zenpy call; any failure leaves as a `ZendeskAccountError` naming this account."""
        try:
            yield
        except RateLimitWaitExceeded as error:
            raise ZendeskAccountError(self.subdomain, "rate_limited", str(error)) from error
        except APIException as error:
            raise self._api_error(error) from error
        except requests.Timeout as error:
            raise ZendeskAccountError(self.subdomain, "timeout", "Zendesk did not answer in time.") from error
        except requests.ConnectionError as error:
            if _timed_out(error):
                raise ZendeskAccountError(
                    self.subdomain, "timeout", "Zendesk did not answer in time (retried)."
                ) from error
            raise ZendeskAccountError(
                self.subdomain, "unreachable", "Could not connect to Zendesk (subdomain or network)."
            ) from error
        except requests.HTTPError as error:
            raise self._http_error(error.response) from error
        except (ZenpyException, requests.RequestException, ValueError) as error:
            message = f"Zendesk call failed: {type(error).__name__}."
            raise ZendeskAccountError(self.subdomain, "api", message) from error

    def _api_error(self, error: APIException) -> ZendeskAccountError:
        response = getattr(error, "response", None)
        if response is not None:
            return self._http_error(response)
        return ZendeskAccountError(self.subdomain, "api", "Zendesk refused the request.")

    def _http_error(self, response: requests.Response | None) -> ZendeskAccountError:
        status = response.status_code if response is not None else 0
        endpoint = _endpoint(response)
        if status == 401:
            message = (
                f"Zendesk {endpoint} refused the credentials (HTTP 401): check the API user's email and "
                "token on Zendesk connections (and that token access is enabled in Zendesk's Admin Center)."
            )
            return ZendeskAccountError(self.subdomain, "auth", message)
        if status == 403:
            message = f"Zendesk {endpoint} refused the request (HTTP 403): {_permission_needed(endpoint)}"
            return ZendeskAccountError(self.subdomain, "permission", message)
        if status == 404:
            message = f"Zendesk {endpoint} has no such record (HTTP 404)."
            return ZendeskAccountError(self.subdomain, "not_found", message)
        if status == 429:
            return ZendeskAccountError(
                self.subdomain,
                "rate_limited",
                f"Zendesk {endpoint} rate-limited the request (429) without saying when to retry.",
            )
        return ZendeskAccountError(self.subdomain, "api", f"Zendesk {endpoint} answered HTTP {status}.")

    def get_json(self, url: str) -> dict[str, Any]:
        """GET an absolute Zendesk URL through zenpy's session, rate-limit handling and timeout."""
        api = self.zenpy.users  # any sub-API: they share the session; this one's budget covers our calls
        with self.mapped_errors():
            self.requests_made += 1
            response = api._call_api(api.session.get, url, timeout=api.timeout)
            body = response.json()
        if not isinstance(body, dict):
            raise ZendeskAccountError(self.subdomain, "api", "Zendesk answered with an unexpected payload.")
        return body

    def installations(self) -> list[ZendeskInstallation]:
        """Every app installation of this account, following `next_page` links."""
        url: str | None = self.base_url + INSTALLATIONS_PATH
        found: list[ZendeskInstallation] = []
        for _ in range(MAX_PAGES):
            if not url:
                break
            body = self.get_json(url)
            items = body.get("installations")
            for item in items if isinstance(items, list) else []:
                parsed = parse_installation(item)
                if parsed is None:
                    log.warning("%s: skipped an installation payload without id/app_id", self.subdomain)
                else:
                    found.append(parsed)
            next_page = body.get("next_page")
            url = next_page if isinstance(next_page, str) and next_page.startswith(self.base_url) else None
        return found

    # -- privacy: one person's user record, tickets and comments, and their deletion -----------------

    def users_by_email(self, email: str) -> UserMatches:
        """Search users by email (fuzzy in Zendesk), then split exact (case-insensitive) from near matches."""
        wanted = email.strip().lower()
        with self.mapped_errors():
            self.requests_made += 1
            found = [user.to_dict() for user in self.zenpy.search(type="user", email=email)]
        exact = [u for u in found if str(u.get("email") or "").lower() == wanted]
        near = [u for u in found if str(u.get("email") or "").lower() != wanted]
        return UserMatches(exact=exact, near=near)

    def users_still_listed(self, email: str, user_ids: set[int]) -> list[int]:
        """Which of `user_ids` search still lists for `email`, searching again with backoff (2 s, doubling)
        for up to `check_window` seconds: Zendesk's search keeps listing a permanently deleted user for a
        while after the deletion."""
        deadline, delay = self.limiter.timer.now() + self.check_window, 2.0
        listed = [u["id"] for u in self.users_by_email(email).exact if u["id"] in user_ids]
        while listed and self.limiter.timer.now() + delay <= deadline:
            self.limiter.timer.sleep_until(self.limiter.timer.now() + delay)
            delay *= 2
            listed = [u["id"] for u in self.users_by_email(email).exact if u["id"] in user_ids]
        return listed

    def requested_tickets(self, user_id: int) -> list[dict[str, Any]]:
        with self.mapped_errors():
            self.requests_made += 1
            return [ticket.to_dict() for ticket in self.zenpy.users.requested(user_id)]

    def ticket_comments(self, ticket_id: int) -> list[dict[str, Any]]:
        with self.mapped_errors():
            self.requests_made += 1
            return [comment.to_dict() for comment in self.zenpy.tickets.comments(ticket=ticket_id)]

    def comments_of_tickets(
        self, ticket_ids: Iterable[int], *, on_done: Callable[[int, list[dict[str, Any]]], None]
    ) -> None:
        """Every ticket's comments, `workers` tickets at a time (the limiter keeps the account's pace);
        `on_done(ticket_id, comments)` runs in the caller's thread as each ticket finishes."""
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="zendesk-comments") as pool:
            futures = {pool.submit(self.ticket_comments, ticket_id): ticket_id for ticket_id in ticket_ids}
            try:
                for future in as_completed(futures):
                    on_done(futures[future], future.result())
            finally:
                for future in futures:
                    future.cancel()

    def users_by_ids(self, user_ids: list[int]) -> list[dict[str, Any]]:
        """Several users at once (show_many, 100 a call), e.g. comment authors whose names to redact."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(user_ids), 100):
            with self.mapped_errors():
                self.requests_made += 1
                found.extend(user.to_dict() for user in self.zenpy.users(ids=user_ids[start : start + 100]))
        return found

    def soft_delete_user(self, user_id: int) -> bool:
        """Soft delete (the user moves to deleted users). False: Zendesk had no such active user."""
        return self._delete_counting_404(lambda: self.zenpy.users.delete(User(id=user_id)))

    def permanently_delete_user(self, user_id: int) -> bool:
        """GDPR permanent deletion of a soft-deleted user. False: already gone (a repeated call's 404)."""
        return self._delete_counting_404(lambda: self.zenpy.users.permanently_delete(user_id))

    def _delete_counting_404(self, call: Callable[[], Any]) -> bool:
        try:
            with self.mapped_errors():
                self.requests_made += 1
                call()
        except ZendeskAccountError as error:
            if error.kind == "not_found":
                return False
            raise
        return True


@dataclass(frozen=True)
class ZendeskGateway:
    """Builds clients. `api_base` points every client at a local fake (tests, demos) instead of Zendesk."""

    timeout: float = 15.0
    ratelimit_budget: float = 60  # seconds of 429 waits per account per run
    run_ratelimit_budget: float = 600  # seconds of 429 waits over every account of a run
    requests_per_minute: int = 200  # until Zendesk's x-rate-limit header says the account's own
    comment_workers: int = 4
    deletion_check_window: float = 120  # seconds a deletion check keeps searching before "still found"
    api_base: str | None = None
    timer: MonotonicTimer = field(default_factory=MonotonicTimer)

    def run_budget(self) -> WaitBudget:
        """One run's shared wait budget: create one per sync or export run and pass it to `client`."""
        return WaitBudget(self.run_ratelimit_budget, "run's", "ZENDESK_RUN_RATELIMIT_BUDGET_SECONDS")

    def client(
        self, *, subdomain: str, email: str, token: str, run_budget: WaitBudget | None = None
    ) -> ZendeskClient:
        """A client for one account for one run: its own rate limiter and wait budget, shared by every
        zenpy sub-API (zenpy's own budget would be per sub-API and for the client's whole life)."""
        limiter = AccountRateLimiter(
            per_minute=self.requests_per_minute,
            budgets=[
                WaitBudget(self.ratelimit_budget, "account's", "ZENDESK_RATELIMIT_BUDGET_SECONDS"),
                run_budget or self.run_budget(),
            ],
            timer=self.timer,
            subdomain=subdomain,
        )
        session = requests.Session()
        session.mount("https://", ZendeskAdapter(limiter, self.api_base, **Zenpy.http_adapter_kwargs()))
        zenpy = Zenpy(
            subdomain=subdomain,
            email=email,
            token=token,
            timeout=self.timeout,
            disable_cache=True,
            session=session,
        )
        return ZendeskClient(
            zenpy, subdomain, limiter, workers=self.comment_workers, check_window=self.deletion_check_window
        )
