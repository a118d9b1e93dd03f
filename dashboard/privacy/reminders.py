"""The daily reminder digest: one email per person with the privacy requests that need them.

Each assignee gets their open requests; requests nobody is assigned to go to every active privacy
officer (admins when there are none). A request is in the digest when it is overdue, due today, due
within `privacy_remind_due_within_days`, has an acknowledgement due in that window, or (processor
requests) has waited for the client's instruction longer than `privacy_remind_client_wait_days`.
"Today" is the recipient's own today (their profile time zone).

Never twice: before a digest is handed to the SMTP server, one `PrivacyReminder` row per request in it
is committed as `sending` (unique per day, request and recipient); success marks them `sent`, an error
marks them `failed` with the error (tried again on the next run). A row left `sending` (the process died
mid-send) is not sent again and is reported as unknown. Every run is recorded as a `SyncRun`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from dashboard.core.mailer import MailError, Sender
from dashboard.privacy.deadlines import JURISDICTION_LABELS
from dashboard.privacy.requests import TYPE_LABELS
from dashboard.privacy.states import OPEN_STATUSES, STATUS_LABELS
from models import PrivacyReminder, PrivacyRequest, SyncRun, User

JOB_KIND = "privacy_reminders"


class Reason(StrEnum):
    OVERDUE = "overdue"
    DUE_TODAY = "due_today"
    DUE_SOON = "due_soon"
    ACKNOWLEDGE = "acknowledge"
    CLIENT_WAIT = "client_wait"


class ReminderStatus(StrEnum):
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


SECTION_TITLES = {
    Reason.OVERDUE: "Overdue",
    Reason.DUE_TODAY: "Due today",
    Reason.DUE_SOON: "Due within {days} days",
    Reason.ACKNOWLEDGE: "Acknowledgements due",
    Reason.CLIENT_WAIT: "Waiting for the client's instruction for more than {wait} days",
}


@dataclass(frozen=True)
class DigestItem:
    request_id: int
    type: str
    jurisdiction: str
    status: str
    due_on: date | None
    acknowledge_by: date | None
    forwarded_on: date | None
    reasons: tuple[Reason, ...]

    def line(self, today: date) -> str:
        parts = [
            f"#{self.request_id}",
            TYPE_LABELS.get(self.type, self.type),
            JURISDICTION_LABELS.get(self.jurisdiction, self.jurisdiction),
            STATUS_LABELS.get(self.status, self.status),
        ]
        if self.due_on:
            days = (self.due_on - today).days
            when = "today" if days == 0 else (f"{-days} days ago" if days < 0 else f"in {days} days")
            parts.append(f"due {self.due_on:%d %b %Y} ({when})")
        return " · ".join(parts)


@dataclass
class Digest:
    recipient: str
    today: date
    items: list[DigestItem] = field(default_factory=list)

    @property
    def request_ids(self) -> list[int]:
        return [item.request_id for item in self.items]


@dataclass
class RunReport:
    sent: dict[str, list[int]] = field(default_factory=dict)
    failed: dict[str, tuple[list[int], str]] = field(default_factory=dict)
    unknown: dict[str, list[int]] = field(default_factory=dict)  # left "sending" by an earlier run
    not_configured: str | None = None

    @property
    def ok(self) -> bool:
        return not self.failed and not self.unknown and self.not_configured is None

    def summary(self) -> str:
        lines = [f"sent {len(self.sent)} digest(s) ({sum(map(len, self.sent.values()))} request lines)"]
        if self.not_configured:
            lines.append(f"NOT SENT: {self.not_configured}")
        for who, (ids, error) in sorted(self.failed.items()):
            lines.append(f"FAILED to {who} (requests {', '.join(map(str, ids))}): {error}")
        for who, ids in sorted(self.unknown.items()):
            lines.append(
                f"UNKNOWN for {who} (requests {', '.join(map(str, ids))}): an earlier run stopped while "
                "sending; check the mailbox, then delete those privacy_reminders rows to send again"
            )
        return "\n".join(lines)


def _zone_today(now: datetime, tz_name: str) -> date:
    try:
        return now.astimezone(ZoneInfo(tz_name or "UTC")).date()
    except (KeyError, ValueError):
        return now.date()


def reasons_for(
    request: PrivacyRequest, *, today: date, now: datetime, due_within_days: int, client_wait_days: int
) -> tuple[Reason, ...]:
    """Why this open request belongs in today's digest (empty: it does not)."""
    found: list[Reason] = []
    if request.due_on is not None:
        if request.due_on < today:
            found.append(Reason.OVERDUE)
        elif request.due_on == today:
            found.append(Reason.DUE_TODAY)
        elif request.due_on <= today + timedelta(days=due_within_days):
            found.append(Reason.DUE_SOON)
    if (
        request.acknowledge_by is not None
        and request.acknowledged_on is None
        and request.acknowledge_by <= today + timedelta(days=due_within_days)
    ):
        found.append(Reason.ACKNOWLEDGE)
    if (
        request.status == "awaiting_client"
        and request.client_instruction is None
        and request.client_forwarded_at is not None
        and now - request.client_forwarded_at > timedelta(days=client_wait_days)
    ):
        found.append(Reason.CLIENT_WAIT)
    return tuple(found)


def _recipients(session: Session) -> tuple[dict[int, User], list[User]]:
    """Active users by id, and who gets unassigned requests (privacy officers, else admins)."""
    users = {u.id: u for u in session.exec(select(User).where(User.active == True)).all()}  # noqa: E712
    officers = [u for u in users.values() if u.role == "privacy_officer"]
    fallback = officers or [u for u in users.values() if u.role == "admin"]
    return users, sorted(fallback, key=lambda u: u.email)


def plan_digests(
    session: Session, *, now: datetime, due_within_days: int, client_wait_days: int
) -> list[Digest]:
    """Every digest today's run would send, before removing what was already sent."""
    users, officers = _recipients(session)
    open_requests = session.exec(
        select(PrivacyRequest).where(PrivacyRequest.status.in_(OPEN_STATUSES)).order_by(PrivacyRequest.id)
    ).all()
    digests: dict[str, Digest] = {}
    for request in open_requests:
        assignee = users.get(request.assignee_id) if request.assignee_id else None
        if assignee is not None and assignee.role not in ("privacy_officer", "admin"):
            assignee = None
        for user in [assignee] if assignee else officers:
            today = _zone_today(now, user.timezone)
            reasons = reasons_for(
                request,
                today=today,
                now=now,
                due_within_days=due_within_days,
                client_wait_days=client_wait_days,
            )
            if not reasons:
                continue
            digest = digests.setdefault(user.email, Digest(recipient=user.email, today=today))
            digest.items.append(
                DigestItem(
                    request_id=request.id,
                    type=request.type,
                    jurisdiction=request.jurisdiction,
                    status=request.status,
                    due_on=request.due_on,
                    acknowledge_by=request.acknowledge_by,
                    forwarded_on=request.client_forwarded_at.date() if request.client_forwarded_at else None,
                    reasons=reasons,
                )
            )
    return [digests[email] for email in sorted(digests)]


def compose(digest: Digest, *, sender: str, due_within_days: int, client_wait_days: int) -> EmailMessage:
    """The digest as a plain-text email: one section per reason, a request in each section it is due in."""
    sections: dict[Reason, list[DigestItem]] = defaultdict(list)
    for item in digest.items:
        for reason in item.reasons:
            sections[reason].append(item)
    counts = ", ".join(
        f"{len(sections[r])} {SECTION_TITLES[r].split(' ')[0].lower()}"
        for r in (Reason.OVERDUE, Reason.DUE_TODAY)
        if sections[r]
    )
    message = EmailMessage()
    message["From"] = sender
    message["To"] = digest.recipient
    message["Subject"] = f"Privacy requests for {digest.today:%d %b %Y}: {len(digest.items)} need you" + (
        f" ({counts})" if counts else ""
    )
    lines = [f"Privacy requests that need you on {digest.today:%A %d %B %Y}.", ""]
    for reason in Reason:
        items = sections.get(reason)
        if not items:
            continue
        title = SECTION_TITLES[reason].format(days=due_within_days, wait=client_wait_days)
        lines += [f"{title} ({len(items)})", "-" * len(title)]
        for item in items:
            extra = ""
            if reason is Reason.ACKNOWLEDGE and item.acknowledge_by:
                extra = f" · acknowledge by {item.acknowledge_by:%d %b %Y}"
            if reason is Reason.CLIENT_WAIT and item.forwarded_on:
                extra = f" · forwarded {item.forwarded_on:%d %b %Y}"
            lines.append(f"  {item.line(digest.today)}{extra}")
        lines.append("")
    lines.append("Open the console's Privacy requests page to act on them (request number: ?id=N).")
    message.set_content("\n".join(lines))
    return message


def _claim(session: Session, digest: Digest, item: DigestItem, now: datetime) -> str:
    """Claim one request for today's digest: "claimed", "sent" (already), or "unknown" (left sending)."""
    row = session.exec(
        select(PrivacyReminder).where(
            PrivacyReminder.day == digest.today,
            PrivacyReminder.request_id == item.request_id,
            PrivacyReminder.recipient == digest.recipient,
        )
    ).first()
    if row is None:
        row = PrivacyReminder(
            day=digest.today,
            request_id=item.request_id,
            recipient=digest.recipient,
            reason=item.reasons[0],
            status=ReminderStatus.SENDING,
            attempts=1,
            updated_at=now,
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # another run claimed it a moment ago
            return "sent"
        return "claimed"
    if row.status == ReminderStatus.FAILED:
        row.status, row.attempts, row.updated_at = ReminderStatus.SENDING, row.attempts + 1, now
        session.add(row)
        return "claimed"
    return "unknown" if row.status == ReminderStatus.SENDING else "sent"


def _mark(session: Session, digest: Digest, ids: list[int], status: str, now: datetime, error: str | None):
    rows = session.exec(
        select(PrivacyReminder).where(
            PrivacyReminder.day == digest.today,
            PrivacyReminder.recipient == digest.recipient,
            PrivacyReminder.request_id.in_(ids),
        )
    ).all()
    for row in rows:
        row.status, row.error, row.updated_at = status, error, now
        if status == ReminderStatus.SENT:
            row.sent_at = now
        session.add(row)


def send_digests(
    session: Session,
    sender: Sender | None,
    *,
    now: datetime,
    sender_address: str,
    due_within_days: int,
    client_wait_days: int,
    triggered_by: str = "system",
    not_configured: str | None = None,
) -> RunReport:
    """Send today's digests. Commits as it goes (claims before each send, the outcome after)."""
    report = RunReport()
    run = SyncRun(kind=JOB_KIND, started_at=now, triggered_by=triggered_by)
    session.add(run)
    session.commit()
    try:
        digests = plan_digests(
            session, now=now, due_within_days=due_within_days, client_wait_days=client_wait_days
        )
        if sender is None:
            report.not_configured = not_configured or "no mail sender"
            for digest in digests:
                report.failed[digest.recipient] = (digest.request_ids, report.not_configured)
        else:
            for digest in digests:
                _send_one(
                    session, sender, digest, report, now, sender_address, due_within_days, client_wait_days
                )
    except Exception as error:  # recorded on the run, then raised: never lost
        session.rollback()
        run.status, run.error, run.finished_at = "failed", f"{type(error).__name__}: {error}", now
        session.add(run)
        session.commit()
        raise
    run.status = "succeeded" if report.ok else ("failed" if not report.sent else "partial")
    run.counts = {
        "digests_sent": len(report.sent),
        "requests_sent": sum(map(len, report.sent.values())),
        "digests_failed": len(report.failed),
        "unknown": len(report.unknown),
    }
    run.message = report.summary()[:4000]
    run.error = None if report.ok else report.summary()[:4000]
    run.finished_at = now
    session.add(run)
    session.commit()
    return report


def _send_one(
    session: Session,
    sender: Sender,
    digest: Digest,
    report: RunReport,
    now: datetime,
    sender_address: str,
    due_within_days: int,
    client_wait_days: int,
) -> None:
    fresh: list[DigestItem] = []
    for item in digest.items:
        outcome = _claim(session, digest, item, now)
        if outcome == "claimed":
            fresh.append(item)
        elif outcome == "unknown":
            report.unknown.setdefault(digest.recipient, []).append(item.request_id)
    session.commit()  # the claims are durable before anything leaves
    if not fresh:
        return
    digest = Digest(recipient=digest.recipient, today=digest.today, items=fresh)
    message = compose(
        digest, sender=sender_address, due_within_days=due_within_days, client_wait_days=client_wait_days
    )
    try:
        sender.send(message)
    except MailError as error:
        _mark(session, digest, digest.request_ids, ReminderStatus.FAILED, now, str(error)[:2000])
        report.failed[digest.recipient] = (digest.request_ids, str(error))
    else:
        _mark(session, digest, digest.request_ids, ReminderStatus.SENT, now, None)
        report.sent[digest.recipient] = digest.request_ids
    session.commit()
