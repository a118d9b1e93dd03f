"""Demo usage events for the installations already in the store, then the rollups.

Each installation gets a usage level, a pool of agents, a trend (steady, growing or declining) and
events on weekdays far more than at weekends, between its install and uninstall (at most 13 months
back). Events are generated in numpy chunks and bulk-loaded (executemany on SQLite, COPY on
PostgreSQL), so the large size (10M events) takes minutes, not hours.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
from sqlmodel import Session, select

from dashboard.demo.context import DemoContext
from dashboard.usage.agents import AgentDirectory
from dashboard.usage.bulk import indexes_built_after_load, insert_events
from dashboard.usage.hashing import actor_digest, actor_hash_key
from dashboard.usage.partitions import MONTHS_AHEAD, ensure_partitions
from dashboard.usage.rollup import rebuild_all
from models import Installation

log = logging.getLogger(__name__)

HISTORY_DAYS = 400
CHUNK = 500_000
FEATURES = ("open_sidebar", "apply_rule", "view_report", "bulk_update", "export_csv", "ai_suggest")
FEATURE_WEIGHTS = np.array([0.34, 0.24, 0.16, 0.12, 0.08, 0.06])
_WEBKIT = "AppleWebKit/537.36 (KHTML, like Gecko)"
USER_AGENTS = (
    f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {_WEBKIT} Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
    f"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) {_WEBKIT} Chrome/131.0.0.0 Safari/537.36",
    f"Mozilla/5.0 (X11; Linux x86_64) {_WEBKIT} Chrome/130.0.0.0 Safari/537.36",
    f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {_WEBKIT} Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
)


@dataclass
class Population:
    """Per installation: ids, active day span, weight, trend, and where its agents sit in `actors`."""

    installation: np.ndarray
    account: np.ndarray
    app: np.ndarray
    first_day: np.ndarray
    span: np.ndarray
    trend: np.ndarray  # 0 steady, 1 growing, 2 declining
    actor_offset: np.ndarray
    actor_count: np.ndarray
    weight: np.ndarray
    actor_hashes: list[bytes]
    actor_ips: list[str]
    agent_ids: list[int]  # the usage_agents id of each of USER_AGENTS


def generate(ctx: DemoContext) -> None:
    total = ctx.size.usage_events
    installs = _installations(ctx)
    if not installs:
        log.warning("usage demo: no installations in the store, so no usage events were made")
        ctx.shared["usage_events"] = 0
        return
    numbers = np.random.default_rng(ctx.rng.getrandbits(64))
    population = _population(ctx, numbers, installs)
    started = time.perf_counter()
    loaded = 0
    _partition_history(ctx)
    with indexes_built_after_load(ctx.engine):
        while loaded < total:
            size = min(CHUNK, total - loaded)
            rows = _chunk(ctx, numbers, population, first_number=loaded, size=size)
            with ctx.engine.begin() as connection:
                insert_events(connection, rows)
            loaded += size
    load_seconds = time.perf_counter() - started
    with Session(ctx.engine) as session:
        rebuild_all(session)
        session.commit()
    ctx.shared.update(
        usage_events=loaded,
        usage_load_seconds=load_seconds,
        usage_rollup_seconds=time.perf_counter() - started - load_seconds,
    )
    log.info(
        "usage demo: %d events loaded in %.1fs, rolled up in %.1fs",
        loaded,
        load_seconds,
        ctx.shared["usage_rollup_seconds"],
    )


def _partition_history(ctx: DemoContext) -> None:
    """PostgreSQL: a partition for every month of the history (and the usual months ahead) before the
    load, so no event lands in the default partition for the job to move later."""
    first = (ctx.now - timedelta(days=HISTORY_DAYS)).date()
    months = (ctx.now.year - first.year) * 12 + ctx.now.month - first.month
    ensure_partitions(ctx.engine, today=first, months_ahead=months + MONTHS_AHEAD)


def _installations(ctx: DemoContext) -> list[tuple[int, int, int, datetime | None, datetime | None]]:
    with Session(ctx.engine) as session:
        return list(
            session.exec(
                select(
                    Installation.id,
                    Installation.account_id,
                    Installation.app_id,
                    Installation.installed_at,
                    Installation.uninstalled_at,
                ).order_by(Installation.id)
            ).all()
        )


def _population(ctx: DemoContext, numbers: np.random.Generator, installs: list) -> Population:
    today = ctx.now.date()
    horizon = today - timedelta(days=HISTORY_DAYS)
    count = len(installs)
    first, span = np.empty(count, dtype=np.int64), np.empty(count, dtype=np.int64)
    for index, (_, _, _, installed_at, uninstalled_at) in enumerate(installs):
        start = max(installed_at.date() if installed_at else horizon, horizon)
        end = min(uninstalled_at.date() if uninstalled_at else today, today)
        first[index] = (start - horizon).days
        span[index] = max((end - start).days, 0) + 1
    actor_count = numbers.integers(1, 40, size=count)
    actor_offset = np.concatenate(([0], np.cumsum(actor_count)[:-1]))
    key = actor_hash_key()
    hashes, ips = [], []
    for (_, account_id, _, _, _), agents in zip(installs, actor_count.tolist(), strict=True):
        for agent in range(agents):
            zendesk_user_id = str(360000000 + account_id * 100 + agent)
            hashes.append(actor_digest(key, account_id=account_id, actor=zendesk_user_id))
            ips.append(f"198.51.{account_id % 256}.{agent + 1}")
    # Heavy-tailed usage: a few big customers, many small ones; busier with more agents.
    weight = numbers.lognormal(0.0, 1.0, size=count) * actor_count * span
    with ctx.engine.begin() as connection:
        agents = AgentDirectory(connection)
        agent_ids = [agents.id_for(agent) for agent in USER_AGENTS]
    return Population(
        installation=np.array([row[0] for row in installs]),
        account=np.array([row[1] for row in installs]),
        app=np.array([row[2] for row in installs]),
        first_day=first,
        span=span,
        trend=numbers.choice(3, size=count, p=[0.7, 0.15, 0.15]),
        actor_offset=actor_offset,
        actor_count=actor_count,
        weight=weight / weight.sum(),
        actor_hashes=hashes,
        actor_ips=ips,
        agent_ids=agent_ids,
    )


def _chunk(
    ctx: DemoContext, numbers: np.random.Generator, population: Population, *, first_number: int, size: int
) -> list[tuple]:
    who = numbers.choice(len(population.weight), size=size, p=population.weight)
    position = numbers.random(size)
    trend = population.trend[who]
    position = np.where(trend == 1, np.sqrt(position), position)
    position = np.where(trend == 2, 1 - np.sqrt(1 - position), position)
    horizon = ctx.now.date() - timedelta(days=HISTORY_DAYS)
    day = population.first_day[who] + np.minimum(
        (position * population.span[who]).astype(np.int64), population.span[who] - 1
    )
    # Weekly rhythm: most weekend events move to the Thursday/Friday before.
    weekday = (day + horizon.weekday()) % 7
    weekend = (weekday >= 5) & (numbers.random(size) < 0.75)
    day = np.where(weekend, np.maximum(day - 2, population.first_day[who]), day)
    seconds = np.clip(numbers.normal(13 * 3600, 3 * 3600, size=size), 0, 86399).astype(np.int64)
    today_seconds = int(
        (ctx.now - datetime.combine(ctx.now.date(), datetime.min.time(), tzinfo=UTC)).total_seconds()
    )
    seconds = np.where(day == HISTORY_DAYS, np.minimum(seconds, today_seconds), seconds)
    pick = (numbers.random(size) * population.actor_count[who]).astype(np.int64)
    actor = population.actor_offset[who] + pick
    feature = numbers.choice(len(FEATURES), size=size, p=FEATURE_WEIGHTS)
    agent_ua = (actor * 7 + 3) % len(USER_AGENTS)
    return _rows(ctx, population, who, day, seconds, actor, feature, agent_ua, first_number, horizon)


def _rows(
    ctx: DemoContext,
    population: Population,
    who,
    day,
    seconds,
    actor,
    feature,
    agent_ua,
    first_number: int,
    horizon: date,
) -> list[tuple]:
    day_text = [f"{horizon + timedelta(days=offset):%Y-%m-%d} " for offset in range(HISTORY_DAYS + 1)]
    hashes, ips = population.actor_hashes, population.actor_ips
    installation, account, app = (
        population.installation[who].tolist(),
        population.account[who].tolist(),
        population.app[who].tolist(),
    )
    return [
        (
            f"demo-{first_number + n:08d}",
            installation[n],
            account[n],
            app[n],
            FEATURES[f],
            hashes[a],
            f"{day_text[d]}{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.000000",
            ips[a],
            population.agent_ids[u],
        )
        for n, (d, s, a, f, u) in enumerate(
            zip(
                day.tolist(),
                seconds.tolist(),
                actor.tolist(),
                feature.tolist(),
                agent_ua.tolist(),
                strict=True,
            )
        )
    ]
