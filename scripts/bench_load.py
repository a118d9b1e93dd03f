"""Many users at once: N signed-in Chromium contexts browsing one console server at the same time.

    python scripts/benchmark.py --browser --users 20                 # small demo on SQLite, 3 rounds
    python scripts/benchmark.py --browser --users 4 --store sqlite --rounds 1
    python scripts/benchmark.py --browser --users 20 --store postgresql://…/bench_1000000_x

One console (`./scripts/start` on a free 127.0.0.1 port, `bench_browser.server_process`) on one store
(`bench_browser.prepared_store`). The users are spread over the demo roles round robin; each signs in
with its role's demo login and clicks through its role's sidebar pages for `--rounds` rounds, each
round in a shuffled order drawn from a seeded generator (the same plan for the same user on every
run; no page follows itself). Every click is timed by `bench_browser.timed_click`: in the page, from
the click to the page drawn after the run the click started.

The run has three phases against the same server:
1. warm-up: one context per role in play, one at a time, visits each of its pages once, so both
   timed phases meet the caches a running server has (these first visits are reported, not counted);
2. single user: the plan of the first user of each role, one fresh context at a time — the baseline;
3. N users: every user in its own fresh context, signed in one after another (each its own Chromium:
   twenty starting at once on two cores could not open the console), then released together by a barrier.
The p95 ratio is the N-user p95 over the single-user p95 (the issue's target: ≤ 3). A click that fails
counts an error (the user reloads the console and goes on; if that fails too it stops), never the run.
Server memory is the sum of the resident set (VmRSS, /proc) of the streamlit process and every
descendant, sampled twice a second from the server's start to its stop: peak and at the end.

Why a thread per user, each with its own `sync_playwright()` and Chromium, rather than the async API
with one browser: Playwright's sync API is not thread-safe across one instance, and the timing code
that exists (`timed_click`, `timed_sign_in`, `sidebar_link`, `wait_idle`) is sync-API code; threads
reuse it unchanged, where the async API would need an async twin of each. The price is one Chromium
browser process per user (started before the barrier, so not inside any timed click) whose renderer
shares the machine's cores with the server — at 20 users on 2 cores the clients' own drawing is part
of what the figures show, so read them with the load average next to them.
"""

from __future__ import annotations

import math
import os
import random
import tempfile
import threading
import time
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

from dashboard.access.navigation import landing_page, sections_for
from dashboard.core.settings import PROJECT_ROOT
from scripts.bench_browser import (
    WAIT_MS,
    console_context,
    drop_database,
    launch_chromium,
    load_average,
    prepared_store,
    server_process,
    sidebar_link,
    timed_click,
    timed_sign_in,
)

SEED = 19
SAMPLE_SECONDS = 0.5
P95_TARGET = 3.0


@dataclass
class UserRun:
    user: int
    role: str
    plan: list[str]
    sign_in: float | None = None
    times: list[tuple[str, float]] = field(default_factory=list)  # (page key, seconds) per click
    errors: list[str] = field(default_factory=list)


@dataclass
class LoadRun:
    store: str
    users: int
    rounds: int
    load_before: str = ""
    load_after: str = ""
    warm_up: list[UserRun] = field(default_factory=list)
    single: list[UserRun] = field(default_factory=list)
    many: list[UserRun] = field(default_factory=list)
    many_seconds: float = 0.0  # wall time of the N-user phase, barrier to the last user done
    rss_start: int = 0  # bytes
    rss_peak: int = 0
    rss_end: int = 0
    server_exit: int | None = None  # the console's exit code when it stopped before the run's end
    server_log: list[str] = field(default_factory=list)  # then the last lines of its log


def p95(values: list[float]) -> float:
    """The 95th percentile by nearest rank: the smallest value at or above 95 % of the values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def click_order(keys: list[str], rounds: int, rng: random.Random, *, start: str) -> list[str]:
    """`rounds` shuffled passes over `keys`, no key right after itself (nor first when it is `start`,
    the page the user is on), so every click goes to another page."""
    order: list[str] = []
    previous = start
    for _ in range(rounds):
        one = list(keys)
        rng.shuffle(one)
        if len(one) > 1 and one[0] == previous:
            swap = rng.randrange(1, len(one))
            one[0], one[swap] = one[swap], one[0]
        order += one
        previous = one[-1]
    return order


def plans(users: int, rounds: int, roles: list[str], seed: int = SEED) -> list[UserRun]:
    """Each user's role (round robin over `roles`) and its click plan, from one seeded generator each."""
    runs = []
    for user in range(users):
        role = roles[user % len(roles)]
        keys = [spec.key for specs in sections_for(role).values() for spec in specs]
        rng = random.Random(f"{seed}-{user}")
        runs.append(UserRun(user, role, click_order(keys, rounds, rng, start=landing_page(role).key)))
    return runs


def parent_pid(stat: str) -> int:
    """The parent's pid from a /proc/<pid>/stat line (the command name in brackets may hold spaces)."""
    return int(stat.rsplit(")", 1)[1].split()[1])


def descendants(root: int, parents: dict[int, int]) -> set[int]:
    """`root` and every process whose chain of parents reaches it."""
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    found, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def tree_rss(root: int) -> int:
    """Bytes resident in `root` and its descendants (summed VmRSS; pages they share count per process)."""
    parents = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = parent_pid(Path(entry.path, "stat").read_text())
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
    total = 0
    for pid in descendants(root, parents):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


class MemorySampler(threading.Thread):
    """The server tree's resident memory every SAMPLE_SECONDS until `stop()`: first, peak and last."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.first, self.peak, self.last = pid, 0, 0, 0
        self.done = threading.Event()

    def sample(self) -> None:
        self.last = tree_rss(self.pid)
        self.first = self.first or self.last
        self.peak = max(self.peak, self.last)

    def run(self) -> None:
        while not self.done.wait(SAMPLE_SECONDS):
            self.sample()

    def stop(self) -> None:
        self.done.set()
        self.join()
        self.sample()


def short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:160]


def browse(
    base: str,
    run: UserRun,
    start: threading.Barrier | None = None,
    one_at_a_time: threading.Lock | None = None,
) -> None:
    """One user: its own Playwright and Chromium (threads share neither), sign in, wait at `start`
    (if given) with the other users, then every click of its plan, timed. Failures become errors.
    Holding `one_at_a_time`, the users start their Chromium and sign in one after another: twenty
    Chromiums starting at once on two cores could not open the console within 120 s (load 85-89)."""
    from playwright.sync_api import sync_playwright

    signed_in = False
    try:
        with sync_playwright() as pw:
            with one_at_a_time or nullcontext():
                browser = launch_chromium(pw)
            try:
                with one_at_a_time or nullcontext():
                    page = console_context(browser).new_page()
                    try:
                        run.sign_in = timed_sign_in(page, base, run.role)
                        signed_in = True
                    except Exception as exc:
                        run.errors.append(f"sign-in: {short(exc)}")
                if start is not None:
                    wait_for_others(start)
                    start = None
                if signed_in:
                    click_through(page, base, run)
            finally:
                browser.close()
    except Exception as exc:  # Playwright or Chromium failing to start, or a failure in recovery
        run.errors.append(f"user stopped: {short(exc)}")
    finally:
        if start is not None:  # never reached the barrier: let the others go rather than wait for it
            start.abort()


def wait_for_others(start: threading.Barrier) -> None:
    with suppress(threading.BrokenBarrierError):  # a user failed before it: the others go on without it
        start.wait(timeout=WAIT_MS / 1000 * 3)


def click_through(page, base: str, run: UserRun) -> None:
    for key in run.plan:
        try:
            run.times.append((key, timed_click(page, sidebar_link(page, key), key)))
        except Exception as exc:
            run.errors.append(f"{key}: {short(exc)}")
            page.goto(base, timeout=WAIT_MS)  # signed in by its cookie: "/" opens the landing page again
            page.get_by_text("Signed in as").first.wait_for(timeout=WAIT_MS)


def seconds(runs: list[UserRun]) -> list[float]:
    return [t for run in runs for _, t in run.times]


def run_load_benchmark(store: str, *, users: int, rounds: int, roles: list[str]) -> str:
    everyone = plans(users, rounds, roles)
    first_of_role = {run.role: run for run in reversed(everyone)}
    in_play = [role for role in roles if role in first_of_role]
    run = LoadRun(store, users, rounds)
    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        work = Path(folder)
        env, run.store = prepared_store(store, work)
        try:
            run.load_before = load_average()
            with server_process(PROJECT_ROOT / "streamlit_app.py", env, work / "console.log") as (base, proc):
                sampler = MemorySampler(proc.pid)
                sampler.sample()
                sampler.start()
                try:
                    for n, role in enumerate(in_play):
                        keys = [spec.key for specs in sections_for(role).values() for spec in specs]
                        order = click_order(keys, 1, random.Random(SEED), start=landing_page(role).key)
                        run.warm_up.append(UserRun(-1 - n, role, order))
                        browse(base, run.warm_up[-1])
                    print(f"  warm-up done ({len(seconds(run.warm_up))} pages)", flush=True)
                    for role in in_play:
                        single = first_of_role[role]
                        run.single.append(UserRun(single.user, role, single.plan))
                        browse(base, run.single[-1])
                    print(f"  single user done ({len(seconds(run.single))} pages)", flush=True)
                    start, one_at_a_time = threading.Barrier(users), threading.Lock()
                    threads = [
                        threading.Thread(target=browse, args=(base, user, start, one_at_a_time), daemon=True)
                        for user in everyone
                    ]
                    began = time.perf_counter()
                    for thread in threads:
                        thread.start()
                    for thread in threads:
                        thread.join()
                    run.many, run.many_seconds = everyone, time.perf_counter() - began
                    print(f"  {users} users done ({len(seconds(run.many))} pages)", flush=True)
                finally:
                    sampler.stop()
                    run.rss_start, run.rss_peak, run.rss_end = sampler.first, sampler.peak, sampler.last
                    run.server_exit = proc.poll()
                    if run.server_exit is not None:  # the log goes with the temporary folder
                        run.server_log = (work / "console.log").read_text().splitlines()[-20:]
            run.load_after = load_average()
        finally:
            if "BENCH_DROP_DATABASE" in env:
                drop_database(env["BENCH_DROP_DATABASE"])
    return load_report(run)


def mb(size: int) -> str:
    return f"{size / 2**20:,.0f} MB"


def median_p95(values: list[float]) -> str:
    return f"{median(values):.3f} s / {p95(values):.3f} s" if values else "— (no pages timed)"


def load_report(run: LoadRun) -> str:
    one, many = seconds(run.single), seconds(run.many)
    ratio = p95(many) / p95(one) if one and many else math.nan
    errors = [(r.user, r.role, e) for r in run.warm_up + run.single + run.many for e in r.errors]
    roles = sorted({r.role for r in run.many}, key=[r.role for r in run.many].index)
    spread = ", ".join(f"{role} {sum(r.role == role for r in run.many)}" for role in roles)
    sign_ins = [r.sign_in for r in run.many if r.sign_in is not None]
    lines = [
        f"**{run.users} users at once, {run.store}**, {run.rounds} round(s) each\n",
        "| figure | value |",
        "|---|---|",
        f"| users (contexts at once) | {run.users} ({spread}) |",
        f"| store | {run.store} |",
        f"| single user (1 context): median / p95 page | {median_p95(one)} |",
        f"| {run.users} users at once: median / p95 page | {median_p95(many)} |",
        f"| p95 ratio ({run.users} users ÷ 1; target ≤ {P95_TARGET:g}) | {ratio:.2f} |",
        f"| pages timed | {len(one)} single, {len(many)} at once |",
        f"| errors | {len(errors)} |",
        f"| sign-in → landing page, {run.users} at once: median / max | "
        + (f"{median(sign_ins):.3f} s / {max(sign_ins):.3f} s |" if sign_ins else "— |"),
        f"| first visits after start (warm-up, not counted): median / p95 | "
        f"{median_p95(seconds(run.warm_up))} |",
        f"| {run.users}-user phase wall time | {run.many_seconds:.1f} s |",
        f"| server RSS (streamlit + children): at start / peak / at end | "
        f"{mb(run.rss_start)} / {mb(run.rss_peak)} / {mb(run.rss_end)} |",
        f"| load average (1/5/15 min) before → after | {run.load_before} → {run.load_after} |",
        "",
        "| role | users | single: median / p95 | at once: median / p95 |",
        "|---|---:|---:|---:|",
    ]
    for role in roles:
        mine = [r for r in run.many if r.role == role]
        single = seconds([r for r in run.single if r.role == role])
        lines.append(f"| {role} | {len(mine)} | {median_p95(single)} | {median_p95(seconds(mine))} |")
    if run.server_exit is not None:
        lines += ["", f"**The console stopped during the run (exit code {run.server_exit}).** Its log ended:"]
        lines += ["", *(f"    {line}" for line in run.server_log)]
    if errors:
        lines += ["", "Errors (user, role: what failed):"]
        lines += [f"- {'warm-up' if user < 0 else user} {role}: {error}" for user, role, error in errors]
    return "\n".join(lines) + "\n"
