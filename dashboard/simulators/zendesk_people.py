"""Zendesk simulator routes for privacy work (issue 8): users, requested tickets, comments, deletion.

Registered on the ZendeskSimulator class on import. Records live in `account.records`: "users",
"deleted_users", "tickets" and "comments". Shapes are the real ones (tests/contracts/zendesk/): 14-digit
user and comment ids, tickets with `assignee_id`/`priority`/`type`, comments without `ticket_id` but
with `via`, `metadata` (the commenter's IP address and location), `attachments` and `plain_body`, and a
user's `email` may be null. The ticket a comment belongs to is kept under the private key `_ticket_id`,
which is never served.

User search is fuzzy like Zendesk's: any user whose email contains the searched local part matches.
It also lags like Zendesk's: a user permanently deleted less than `account.search_lag_seconds` ago (the
fake's clock) is still listed, although every other endpoint has forgotten them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import count
from typing import Any

from dashboard.simulators.zendesk import Reply, SimulatedAccount, ZendeskRequest, ZendeskSimulator

_user_ids = count(26155588908179)
_ticket_ids = count(4821)
_comment_ids = count(27311234567890)
_NOT_FOUND = Reply(404, {"error": "RecordNotFound", "description": "Not found"})


def add_user(
    account: SimulatedAccount,
    *,
    name: str,
    email: str | None,
    user_id: int | None = None,
    role: str = "end-user",
) -> dict[str, Any]:
    user_id = user_id or next(_user_ids)
    user = {
        "id": user_id,
        "url": f"https://{account.subdomain}.zendesk.com/api/v2/users/{user_id}.json",
        "name": name,
        "email": email,
        "created_at": "2026-01-05T10:00:00Z",
        "updated_at": "2026-01-05T10:00:00Z",
        "time_zone": "Berlin",
        "iana_time_zone": "Europe/Berlin",
        "phone": None,
        "shared_phone_number": None,
        "photo": None,
        "locale_id": 1,
        "locale": "en-US",
        "organization_id": None,
        "role": role,
        "verified": True,
        "external_id": None,
        "tags": [],
        "alias": None,
        "active": True,
        "shared": False,
        "shared_agent": False,
        "last_login_at": None,
        "two_factor_auth_enabled": None,
        "signature": None,
        "details": None,
        "notes": None,
        "role_type": None,
        "custom_role_id": None,
        "moderator": role != "end-user",
        "ticket_restriction": "requested" if role == "end-user" else None,
        "only_private_comments": False,
        "restricted_agent": role == "end-user",
        "suspended": False,
        "default_group_id": None,
        "report_csv": False,
        "user_fields": {},
    }
    account.records.setdefault("users", []).append(user)
    return user


def add_ticket(
    account: SimulatedAccount,
    *,
    requester: dict[str, Any],
    subject: str,
    comments: list[tuple[dict[str, Any], str]],
    ccs: list[dict[str, Any]] | None = None,
    assignee: dict[str, Any] | None = None,
    ticket_id: int | None = None,
    comment_ids: Iterator[int] = _comment_ids,
) -> dict[str, Any]:
    """A ticket requested by `requester` with (author, body) comments, CC'd users and an assignee.
    Every comment's metadata carries its author's `commenter_ip` and a location, as Zendesk records.
    The ids come from this module's counters unless the caller gives its own (the demo: the same ids on
    every build of its Zendesk)."""
    ticket_id = ticket_id or next(_ticket_ids)
    ticket = {
        "url": f"https://{account.subdomain}.zendesk.com/api/v2/tickets/{ticket_id}.json",
        "id": ticket_id,
        "external_id": None,
        "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}},
        "created_at": "2026-02-01T09:00:00Z",
        "updated_at": "2026-02-02T09:00:00Z",
        "generated_timestamp": 1769936400,
        "type": "question",
        "subject": subject,
        "raw_subject": subject,
        "description": comments[0][1] if comments else "",
        "priority": "normal",
        "status": "open",
        "recipient": None,
        "requester_id": requester["id"],
        "submitter_id": requester["id"],
        "assignee_id": assignee["id"] if assignee else None,
        "organization_id": None,
        "group_id": None,
        "collaborator_ids": [user["id"] for user in ccs or []],
        "follower_ids": [],
        "email_cc_ids": [user["id"] for user in ccs or []],
        "forum_topic_id": None,
        "problem_id": None,
        "has_incidents": False,
        "is_public": True,
        "due_at": None,
        "tags": [],
        "custom_fields": [],
        "satisfaction_rating": None,
        "sharing_agreement_ids": [],
        "custom_status_id": 360000111111,
        "fields": [],
        "followup_ids": [],
        "ticket_form_id": 360000222222,
        "brand_id": 360000333333,
        "allow_channelback": False,
        "allow_attachments": True,
        "from_messaging_channel": False,
    }
    account.records.setdefault("tickets", []).append(ticket)
    for author, body in comments:
        account.records.setdefault("comments", []).append(
            _comment(ticket_id, author, body, next(comment_ids))
        )
    return ticket


def commenter_ip(user: dict[str, Any]) -> str:
    """The IP address the fake records in the metadata of `user`'s comments (one per person)."""
    return f"203.0.{user['id'] // 250 % 250}.{user['id'] % 250}"


def _comment(ticket_id: int, author: dict[str, Any], body: str, comment_id: int) -> dict[str, Any]:
    return {
        "_ticket_id": ticket_id,
        "id": comment_id,
        "type": "Comment",
        "author_id": author["id"],
        "body": body,
        "html_body": f'<div class="zd-comment" dir="auto"><p>{body}</p></div>',
        "plain_body": body,
        "public": True,
        "attachments": [],
        "audit_id": comment_id - 1,
        "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}},
        "created_at": "2026-02-01T09:05:00Z",
        "metadata": {
            "system": {
                "client": "Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0",
                "ip_address": commenter_ip(author),
                "location": "Berlin, BE, Germany",
                "latitude": 52.5196,
                "longitude": 13.4069,
            },
            "custom": {},
        },
    }


def add_attachment(comment: dict[str, Any], *, file_name: str, size: int = 48213) -> None:
    attachment_id = next(_comment_ids)
    link = f"https://zendesk.example/attachments/token/t{attachment_id}/?name={file_name}"
    comment["attachments"].append(
        {
            "url": f"https://zendesk.example/api/v2/attachments/{attachment_id}.json",
            "id": attachment_id,
            "file_name": file_name,
            "content_url": link,
            "mapped_content_url": link,
            "content_type": "image/png",
            "size": size,
            "width": 800,
            "height": 600,
            "inline": False,
            "deleted": False,
            "malware_access_override": False,
            "malware_scan_result": "malware_not_found",
            "thumbnails": [],
        }
    )


def _users(request: ZendeskRequest) -> list[dict[str, Any]]:
    return request.account.records.setdefault("users", [])


def _find(items: list[dict[str, Any]], user_id: int) -> dict[str, Any] | None:
    return next((item for item in items if item["id"] == user_id), None)


def _served(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if not key.startswith("_")}


def _still_indexed(request: ZendeskRequest) -> list[dict[str, Any]]:
    """Permanently deleted users the search index has not caught up with yet."""
    now = request.fake.clock()
    return [
        user["_user"]
        for user in request.account.records.get("purged_users", [])
        if now - user["_purged_at"] < request.account.search_lag_seconds
    ]


@ZendeskSimulator.route("GET", r"/api/v2/search\.json")
def _search(request: ZendeskRequest) -> Reply:
    query = request.query.get("query", [""])[0]
    found = re.search(r"email:\"?([^\s\"]+)", query)
    needle = found.group(1).split("@")[0].lower() if found else ""
    hits = [
        {**user, "result_type": "user"}
        for user in [*_users(request), *_still_indexed(request)]
        if needle and needle in str(user.get("email") or "").lower()
    ]
    return request.paged("results", hits, facets=None)


@ZendeskSimulator.route("GET", r"/api/v2/users/(?P<user_id>\d+)/tickets/requested\.json")
def _requested(request: ZendeskRequest) -> Reply:
    user_id = int(request.params["user_id"])
    tickets = [t for t in request.account.records.get("tickets", []) if t["requester_id"] == user_id]
    return request.paged("tickets", tickets)


@ZendeskSimulator.route("GET", r"/api/v2/tickets/(?P<ticket_id>\d+)/comments\.json")
def _comments(request: ZendeskRequest) -> Reply:
    ticket_id = int(request.params["ticket_id"])
    thread = [_served(c) for c in request.account.records.get("comments", []) if c["_ticket_id"] == ticket_id]
    return request.paged("comments", thread)


@ZendeskSimulator.route("GET", r"/api/v2/users/show_many\.json")
def _show_many(request: ZendeskRequest) -> Reply:
    wanted = {int(part) for part in request.query.get("ids", [""])[0].split(",") if part.strip()}
    found = [u for u in _users(request) if u["id"] in wanted]
    return Reply(200, {"users": found, "next_page": None, "previous_page": None, "count": len(found)})


@ZendeskSimulator.route("DELETE", r"/api/v2/users/(?P<user_id>\d+)\.json")
def _soft_delete(request: ZendeskRequest) -> Reply:
    user = _find(_users(request), int(request.params["user_id"]))
    if user is None:
        return _NOT_FOUND
    _users(request).remove(user)
    deleted = {**user, "active": False}
    request.account.records.setdefault("deleted_users", []).append(deleted)
    return Reply(200, {"user": deleted})


@ZendeskSimulator.route("DELETE", r"/api/v2/deleted_users/(?P<user_id>\d+)\.json")
def _permanent_delete(request: ZendeskRequest) -> Reply:
    deleted_users = request.account.records.setdefault("deleted_users", [])
    user = _find(deleted_users, int(request.params["user_id"]))
    if user is None:
        return _NOT_FOUND
    deleted_users.remove(user)
    purged = {"_user": {**user, "active": True}, "_purged_at": request.fake.clock()}
    request.account.records.setdefault("purged_users", []).append(purged)
    kept = ("created_at", "time_zone", "phone", "shared_phone_number", "photo", "locale_id", "locale")
    return Reply(
        200,
        {
            "deleted_user": {
                "id": user["id"],
                "url": f"{request.url.rsplit('/', 1)[0]}/{user['id']}.json",
                "name": "Permanently Deleted User",
                "email": None,
                **{key: user.get(key) for key in kept},
                "updated_at": "2026-11-30T10:01:00Z",
                "organization_id": None,
                "role": user["role"],
                "active": False,
            }
        },
    )
