"""Contract tests: the fake Zendesk answers each endpoint with the keys, nesting and types of a recorded
real example (tests/contracts/zendesk/*.json, written from Zendesk's API reference), and sends the real
rate-limit headers under their real (lowercase) names."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import requests

from dashboard.simulators.zendesk import ZendeskSimulator, installation, old_installation
from dashboard.simulators.zendesk_people import add_attachment, add_ticket, add_user

EXAMPLES = Path(__file__).parent / "contracts" / "zendesk"
EMAIL, TOKEN = "api@company.test", "good-token"


def shape_mismatches(real: Any, fake: Any, where: str = "$") -> list[str]:
    """Where `fake` differs from `real` in keys or types. A null on either side matches any type (the
    real field is nullable, or the fake chose null); a non-empty real list needs a non-empty fake one."""
    if real is None or fake is None:
        return []
    if isinstance(real, dict):
        if not isinstance(fake, dict):
            return [f"{where}: object expected, got {type(fake).__name__}"]
        missing = [f"{where}.{key}: missing" for key in real if key not in fake]
        extra = [f"{where}.{key}: not in the real response" for key in fake if key not in real]
        nested = [
            m for key in real if key in fake for m in shape_mismatches(real[key], fake[key], f"{where}.{key}")
        ]
        return missing + extra + nested
    if isinstance(real, list):
        if not isinstance(fake, list):
            return [f"{where}: list expected, got {type(fake).__name__}"]
        if real and not fake:
            return [f"{where}: empty, the real one has items"]
        return [m for item in fake for m in shape_mismatches(real[0], item, f"{where}[]")] if real else []
    return [] if _kind(real) == _kind(fake) else [f"{where}: {_kind(real)} expected, got {_kind(fake)}"]


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, int | float) else type(value).__name__


@pytest.fixture(scope="module")
def world() -> Any:
    with ZendeskSimulator() as fake:
        acme = fake.add_account("acme", email=EMAIL, token=TOKEN)
        acme.installations.append(
            installation(
                id=361234573552,
                app_id=1015647,
                seats=25,
                paid=None,
                plan=None,
                stripe_subscription_id="sub_1",
            )
        )
        legacy = fake.add_account("legacy", email=EMAIL, token=TOKEN)
        legacy.installations.append(old_installation(id=360001234567, app_id=98811, seats=10))
        subject = add_user(acme, name="Ann Example", email="ann@acme.example")
        agent = add_user(acme, name="Agent Smith", email=None, role="agent")
        ticket = add_ticket(
            acme, requester=subject, assignee=agent, subject="Tagger stuck", comments=[(subject, "Stuck.")]
        )
        add_attachment(acme.records["comments"][-1], file_name="screenshot.png")
        doomed = add_user(acme, name="Doomed", email="doomed@acme.example")
        # Soft-deleted here, so the permanent deletion's case holds on whichever worker runs it first.
        gone = add_user(acme, name="Gone", email="gone@acme.example")
        assert _request(fake, "acme", "DELETE", f"/api/v2/users/{gone['id']}.json").status_code == 200
        ids = {
            "subject": subject["id"],
            "agent": agent["id"],
            "ticket": ticket["id"],
            "doomed": doomed["id"],
            "gone": gone["id"],
        }
        yield fake, acme, ids


def _request(fake: ZendeskSimulator, subdomain: str, method: str, path: str) -> requests.Response:
    auth = base64.b64encode(f"{EMAIL}/token:{TOKEN}".encode()).decode()
    return requests.request(
        method,
        f"{fake.base_url}/_sub/{subdomain}{path}",
        headers={"Authorization": f"Basic {auth}"},
        timeout=5,
    )


CASES = [
    ("installations.json", "acme", "GET /api/v2/apps/installations.json"),
    ("installations_old.json", "legacy", "GET /api/v2/apps/installations.json"),
    ("search_users.json", "acme", "GET /api/v2/search.json?query=type:user email:ann@acme.example"),
    ("show_many_users.json", "acme", "GET /api/v2/users/show_many.json?ids={agent}"),
    (
        "requested_tickets_cursor.json",
        "acme",
        "GET /api/v2/users/{subject}/tickets/requested.json?page[size]=100",
    ),
    ("requested_tickets_offset.json", "acme", "GET /api/v2/users/{subject}/tickets/requested.json"),
    ("ticket_comments.json", "acme", "GET /api/v2/tickets/{ticket}/comments.json"),
    ("soft_delete_user.json", "acme", "DELETE /api/v2/users/{doomed}.json"),
    ("permanent_delete_user.json", "acme", "DELETE /api/v2/deleted_users/{gone}.json"),
]


@pytest.mark.parametrize(("example", "subdomain", "request_line"), CASES, ids=[c[0] for c in CASES])
def test_the_fake_answers_in_the_recorded_real_shape(
    world: Any, example: str, subdomain: str, request_line: str
):
    fake, _acme, ids = world
    recorded = json.loads((EXAMPLES / example).read_text())
    method, path = request_line.format(**ids).split(" ", 1)

    response = _request(fake, subdomain, method, path)

    assert response.status_code == recorded["status"]
    assert shape_mismatches(recorded["body"], response.json()) == []
    assert set(recorded["headers"]) <= set(response.raw.headers.keys())  # names exactly as Zendesk sends them


def test_the_fakes_429_sends_the_real_headers(world: Any) -> None:
    fake, acme, _ids = world
    recorded = json.loads((EXAMPLES / "rate_limited.json").read_text())
    acme.rate_limit.use(acme.rate_limit.per_minute - acme.rate_limit.used)  # another app spent the minute

    response = _request(fake, "acme", "GET", "/api/v2/apps/installations.json")

    assert response.status_code == 429
    assert set(recorded["headers"]) <= set(response.raw.headers.keys())
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert response.headers["x-rate-limit-remaining"] == "0"


def test_every_recorded_example_is_checked() -> None:
    checked = {case[0] for case in CASES} | {"rate_limited.json"}
    assert {path.name for path in EXAMPLES.glob("*.json")} == checked


def test_the_shape_check_catches_what_the_fakes_used_to_get_wrong() -> None:
    real = json.loads((EXAMPLES / "ticket_comments.json").read_text())["body"]
    kind_fake = {"comments": [{**real["comments"][0], "ticket_id": 1}], "next_page": None}
    no_metadata = {**real, "comments": [{k: v for k, v in real["comments"][0].items() if k != "metadata"}]}
    text_id = {**real, "comments": [{**real["comments"][0], "id": "27311234567890"}]}

    assert "$.comments[].ticket_id: not in the real response" in shape_mismatches(real, kind_fake)
    assert shape_mismatches(real, no_metadata) == ["$.comments[].metadata: missing"]
    assert shape_mismatches(real, text_id) == ["$.comments[].id: number expected, got str"]
