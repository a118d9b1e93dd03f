"""User agents, stored once each in `usage_agents` with the browser and OS parsed from them."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Connection, text
from ua_parser import parse as parse_user_agent

MAX_USER_AGENT = 500


@lru_cache(maxsize=4096)
def browser_and_os(user_agent: str) -> tuple[str | None, str | None]:
    """Browser and OS family names (apps send few distinct user agents, so the parse is cached)."""
    result = parse_user_agent(user_agent)
    browser = result.user_agent.family if result.user_agent else None
    os_name = result.os.family if result.os else None
    return (browser[:64] if browser else None), (os_name[:64] if os_name else None)


class AgentDirectory:
    """The `usage_agents` id of each user agent, added on first sight, looked up once per directory."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._ids: dict[str, int] = {}

    def id_for(self, user_agent: str) -> int:
        """The id of `user_agent` (cut to MAX_USER_AGENT characters), stored in the caller's transaction."""
        user_agent = user_agent[:MAX_USER_AGENT]
        known = self._ids.get(user_agent)
        if known is None:
            known = self._ids[user_agent] = self._stored_id(user_agent)
        return known

    def _stored_id(self, user_agent: str) -> int:
        find = text("SELECT id FROM usage_agents WHERE user_agent = :agent")
        found = self.connection.execute(find, {"agent": user_agent}).scalar_one_or_none()
        if found is not None:
            return found
        browser, os_name = browser_and_os(user_agent)
        # Another ingest may add the same agent meanwhile: then its row is the one to use.
        self.connection.execute(
            text(
                "INSERT INTO usage_agents (user_agent, browser, os) VALUES (:agent, :browser, :os) "
                "ON CONFLICT (user_agent) DO NOTHING"
            ),
            {"agent": user_agent, "browser": browser, "os": os_name},
        )
        return self.connection.execute(find, {"agent": user_agent}).scalar_one()
