"""Fake Zendesk routes for privacy work (issue 8): users, requested tickets, comments, deletion.

Registered on the FakeZendesk class on import. Records live in `account.records`: "users",
"deleted_users", "tickets" ({id, requester_id, ...}) and "comments" ({id, ticket_id, author_id, ...}).
User search is fuzzy like Zendesk's: any user whose email contains the searched local part matches.
"""

from __future__ import annotations

import re
from itertools import count
from typing import Any

from tests.fakes.fake_zendesk import FakeAccount, FakeRequest, FakeZendesk, Reply

_ids = count(1000)
_NOT_FOUND = Reply(404, {"error": "RecordNotFound", "description": "Not found"})


def add_user(
    account: FakeAccount, *, name: str, email: str, user_id: int | None = None, role: str = "end-user"
) -> dict[str, Any]:
    user = {
        "id": user_id or next(_ids),
        "name": name,
        "email": email,
        "role": role,
        "active": True,
        "created_at": "2026-01-05T10:00:00Z",
        "updated_at": "2026-01-05T10:00:00Z",
        "phone": None,
        "time_zone": "Berlin",
        "locale": "en-US",
        "tags": [],
    }
    account.records.setdefault("users", []).append(user)
    return user


def add_ticket(
    account: FakeAccount,
    *,
    requester: dict[str, Any],
    subject: str,
    comments: list[tuple[dict[str, Any], str]],
    ccs: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A ticket requested by `requester` with (author, body) comments and CC'd users."""
    ticket = {
        "id": next(_ids),
        "requester_id": requester["id"],
        "submitter_id": requester["id"],
        "subject": subject,
        "description": comments[0][1] if comments else "",
        "status": "open",
        "collaborator_ids": [user["id"] for user in ccs or []],
        "tags": [],
        "created_at": "2026-02-01T09:00:00Z",
        "updated_at": "2026-02-02T09:00:00Z",
    }
    account.records.setdefault("tickets", []).append(ticket)
    for author, body in comments:
        account.records.setdefault("comments", []).append(
            {
                "id": next(_ids),
                "ticket_id": ticket["id"],
                "author_id": author["id"],
                "body": body,
                "html_body": f"<p>{body}</p>",
                "public": True,
                "created_at": "2026-02-01T09:05:00Z",
                "type": "Comment",
            }
        )
    return ticket


def _users(request: FakeRequest) -> list[dict[str, Any]]:
    return request.account.records.setdefault("users", [])


def _find(items: list[dict[str, Any]], user_id: int) -> dict[str, Any] | None:
    return next((item for item in items if item["id"] == user_id), None)


@FakeZendesk.route("GET", r"/api/v2/search\.json")
def _search(request: FakeRequest) -> Reply:
    query = request.query.get("query", [""])[0]
    found = re.search(r"email:\"?([^\s\"]+)", query)
    needle = found.group(1).split("@")[0].lower() if found else ""
    hits = [
        {**user, "result_type": "user"}
        for user in _users(request)
        if needle and needle in str(user.get("email") or "").lower()
    ]
    return request.paged("results", hits)


@FakeZendesk.route("GET", r"/api/v2/users/(?P<user_id>\d+)/tickets/requested\.json")
def _requested(request: FakeRequest) -> Reply:
    user_id = int(request.params["user_id"])
    tickets = [t for t in request.account.records.get("tickets", []) if t["requester_id"] == user_id]
    return request.paged("tickets", tickets)


@FakeZendesk.route("GET", r"/api/v2/tickets/(?P<ticket_id>\d+)/comments\.json")
def _comments(request: FakeRequest) -> Reply:
    ticket_id = int(request.params["ticket_id"])
    return request.paged(
        "comments", [c for c in request.account.records.get("comments", []) if c["ticket_id"] == ticket_id]
    )


@FakeZendesk.route("GET", r"/api/v2/users/show_many\.json")
def _show_many(request: FakeRequest) -> Reply:
    wanted = {int(part) for part in request.query.get("ids", [""])[0].split(",") if part.strip()}
    return Reply(200, {"users": [u for u in _users(request) if u["id"] in wanted], "next_page": None})


@FakeZendesk.route("DELETE", r"/api/v2/users/(?P<user_id>\d+)\.json")
def _soft_delete(request: FakeRequest) -> Reply:
    user = _find(_users(request), int(request.params["user_id"]))
    if user is None:
        return _NOT_FOUND
    _users(request).remove(user)
    deleted = {**user, "active": False}
    request.account.records.setdefault("deleted_users", []).append(deleted)
    return Reply(200, {"user": deleted})


@FakeZendesk.route("DELETE", r"/api/v2/deleted_users/(?P<user_id>\d+)\.json")
def _permanent_delete(request: FakeRequest) -> Reply:
    deleted_users = request.account.records.setdefault("deleted_users", [])
    user = _find(deleted_users, int(request.params["user_id"]))
    if user is None:
        return _NOT_FOUND
    deleted_users.remove(user)
    return Reply(
        200,
        {
            "deleted_user": {
                "id": user["id"],
                "name": "Permanently Deleted User",
                "email": None,
                "active": False,
            }
        },
    )
