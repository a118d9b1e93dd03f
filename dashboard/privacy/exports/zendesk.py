"""Zendesk: the subject's user record, the tickets they requested and their comments.

Comments hold other people's words: other people are named only as "another person", and their
names and every email address other than the subject's are redacted from the text. A ticket's assignee
is "another person" too (never their id). Zendesk records each commenter's IP address, location and
browser in the comment's `metadata.system`: the subject's own are exported (technical data about them),
everyone else's are left out, as are their attachments' names (only how many there are).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from dashboard.privacy.exports.package import append_private
from dashboard.privacy.exports.parts import Progress, SourcePart
from dashboard.privacy.exports.systems import ZendeskTarget, same_email

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
EMAIL_REDACTED = "[email redacted]"
NAME_REDACTED = "[name redacted]"
OTHER_PERSON = "another person"
USER_FIELDS = (
    "id",
    "name",
    "email",
    "phone",
    "role",
    "locale",
    "time_zone",
    "created_at",
    "updated_at",
    "last_login_at",
    "active",
)
TICKET_FIELDS = ("id", "subject", "description", "status", "priority", "type", "created_at", "updated_at")
# Comment metadata Zendesk records about whoever wrote the comment (metadata.system).
COMMENTER_FIELDS = {"ip_address": "ip_address", "location": "location", "client": "browser"}


class Redactor:
    """Removes other people's names and any email but the subject's from free text."""

    def __init__(self, subject_email: str, other_names: list[str]) -> None:
        self._subject_email = subject_email
        names = sorted({n.strip() for n in other_names if n and len(n.strip()) >= 2}, key=len, reverse=True)
        self._names = re.compile("|".join(re.escape(n) for n in names), re.IGNORECASE) if names else None

    def text(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        value = EMAIL_RE.sub(
            lambda m: m.group(0) if same_email(m.group(0), self._subject_email) else EMAIL_REDACTED, value
        )
        return self._names.sub(NAME_REDACTED, value) if self._names else value


class CommentCheckpoint:
    """The comments fetched so far, one line per ticket appended to an owner-only file beside the
    export's parts, so a retry after a failure (e.g. 429s past the wait budget) fetches only the tickets
    still missing. `path=None` keeps nothing. Removed once the Zendesk source is complete."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path

    def load(self, subdomain: str) -> dict[int, list[dict[str, Any]]]:
        if self.path is None or not self.path.exists():
            return {}
        done: dict[int, list[dict[str, Any]]] = {}
        for line in self.path.read_text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line cut short when the run stopped
            if entry.get("zendesk") == subdomain:
                done[int(entry["ticket_id"])] = entry["comments"]
        return done

    def save(self, subdomain: str, ticket_id: int, comments: list[dict[str, Any]]) -> None:
        if self.path is not None:
            line = {"zendesk": subdomain, "ticket_id": ticket_id, "comments": comments}
            append_private(self.path, json.dumps(line, ensure_ascii=False, default=str).encode() + b"\n")

    def clear(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def collect_zendesk(
    targets: list[ZendeskTarget],
    email: str,
    progress: Progress,
    checkpoint: CommentCheckpoint | None = None,
) -> SourcePart:
    """The subject's Zendesk data from every target account; `checkpoint` resumes a cut-short run."""
    checkpoint = checkpoint or CommentCheckpoint()
    part = SourcePart(categories={"zendesk_users": [], "zendesk_tickets": [], "zendesk_comments": []})
    for index, target in enumerate(targets):
        progress(index / len(targets), f"Searching {target.subdomain}.zendesk.com for the email")
        matches = target.client.users_by_email(email)
        part.near_matches.extend(
            {"system": "zendesk", "where": target.subdomain, "id": u.get("id"), "email": u.get("email")}
            for u in matches.near
        )
        for user in matches.exact:
            part.identities.append(
                {"subdomain": target.subdomain, "account_id": target.account_id, "user_id": user["id"]}
            )
            part.categories["zendesk_users"].append(
                {"zendesk": target.subdomain, **{name: _flat(user.get(name)) for name in USER_FIELDS}}
            )
            _collect_tickets(part, target, user, email, progress, (index, len(targets)), checkpoint)
    progress(1.0, "Zendesk done")
    return part


def _collect_tickets(
    part: SourcePart,
    target: ZendeskTarget,
    user: dict[str, Any],
    email: str,
    progress: Progress,
    position: tuple[int, int],
    checkpoint: CommentCheckpoint,
) -> None:
    tickets = [t for t in target.client.requested_tickets(user["id"]) if t.get("requester_id") == user["id"]]
    comments = _fetch_comments(target, [t["id"] for t in tickets], progress, position, checkpoint)
    redactor = Redactor(email, _other_names(target, user, tickets, comments))
    for ticket in tickets:
        part.categories["zendesk_tickets"].append(
            {
                "zendesk": target.subdomain,
                **{name: redactor.text(_flat(ticket.get(name))) for name in TICKET_FIELDS},
                "channel": _via_channel(ticket),
                "assignee": _person(ticket.get("assignee_id"), user["id"]),
            }
        )
        for comment in comments[ticket["id"]]:
            part.categories["zendesk_comments"].append(
                {
                    "zendesk": target.subdomain,
                    "ticket_id": ticket["id"],
                    **_comment_record(comment, user["id"], redactor),
                }
            )


def _fetch_comments(
    target: ZendeskTarget,
    ticket_ids: list[int],
    progress: Progress,
    position: tuple[int, int],
    checkpoint: CommentCheckpoint,
) -> dict[int, list[dict[str, Any]]]:
    """Each ticket's comments: those a cut-short run fetched come from the checkpoint, the rest from
    Zendesk a few tickets at a time, at the account's rate limit (429s pause rather than fail)."""
    wanted = set(ticket_ids)
    comments = {tid: thread for tid, thread in checkpoint.load(target.subdomain).items() if tid in wanted}
    total = len(ticket_ids)

    def done(ticket_id: int, thread: list[dict[str, Any]]) -> None:
        comments[ticket_id] = thread
        checkpoint.save(target.subdomain, ticket_id, thread)
        if len(comments) % 20 == 0 or len(comments) == total:
            fraction = (position[0] + len(comments) / total) / position[1]
            progress(fraction, f"{target.subdomain}: comments of {len(comments):,} of {total:,} tickets")

    target.client.comments_of_tickets([tid for tid in ticket_ids if tid not in comments], on_done=done)
    return comments


def _comment_record(comment: dict[str, Any], user_id: int, redactor: Redactor) -> dict[str, Any]:
    """One comment: the subject's own with what Zendesk recorded about them, anyone else's without."""
    mine = comment.get("author_id") == user_id
    system = (comment.get("metadata") or {}).get("system") or {}
    return {
        "comment_id": comment.get("id"),
        "created_at": comment.get("created_at"),
        "public": comment.get("public"),
        "author": _person(comment.get("author_id"), user_id),
        "channel": _via_channel(comment),
        "body": redactor.text(comment.get("body")),
        **{column: system.get(key) if mine else None for key, column in COMMENTER_FIELDS.items()},
        "attachments": _attachments(comment, mine, redactor),
    }


def _attachments(comment: dict[str, Any], mine: bool, redactor: Redactor) -> str:
    """The subject's own attachments by file name; someone else's only counted."""
    attachments = [a for a in comment.get("attachments") or [] if isinstance(a, dict)]
    if mine:
        return ", ".join(redactor.text(str(a.get("file_name") or "")) for a in attachments)
    return f"{len(attachments)} from another person" if attachments else ""


def _person(zendesk_user_id: Any, subject_id: int) -> str | None:
    if zendesk_user_id is None:
        return None
    return "you" if zendesk_user_id == subject_id else OTHER_PERSON


def _via_channel(record: dict[str, Any]) -> str | None:
    via = record.get("via")
    return via.get("channel") if isinstance(via, dict) else None


def _other_names(
    target: ZendeskTarget,
    user: dict[str, Any],
    tickets: list[dict[str, Any]],
    comments: dict[int, list[dict[str, Any]]],
) -> list[str]:
    """Names of everyone else on those tickets (authors, assignees, submitters, CCs), looked up at once."""
    ids: set[int] = set()
    for ticket in tickets:
        ids.update(i for i in (ticket.get("assignee_id"), ticket.get("submitter_id")) if isinstance(i, int))
        ids.update(i for i in ticket.get("collaborator_ids") or [] if isinstance(i, int))
    for thread in comments.values():
        ids.update(c["author_id"] for c in thread if isinstance(c.get("author_id"), int))
    ids.discard(user["id"])
    others = target.client.users_by_ids(sorted(ids)) if ids else []
    subject_name = str(user.get("name") or "").strip().lower()
    names = [str(other.get("name") or "") for other in others]
    return [name for name in names if name.strip().lower() != subject_name]


def _flat(value: Any) -> Any:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else value
