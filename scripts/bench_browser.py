"""Pages timed as a person feels them: Chromium clicks a sidebar link, the clock stops when the app's
script state is `notRunning` and the page's main content is drawn (no stale element left).

    python scripts/benchmark.py --browser                         # small demo, SQLite and PostgreSQL
    python scripts/benchmark.py --browser --store sqlite --revisits 5
    python scripts/benchmark.py --browser --database-url postgresql://…/bench_1000000

Each role (the demo logins) gets a freshly started console, so "cold" is every page's first visit after
the server started (imports, caches and store reads included); "warm" is the median of the revisits,
each reached from another page. A trivial two-page Streamlit app (the floor) is started and clicked the
same way in the same run. The clock runs in the page: from the click event to the first animation frame
in which, after the run the click started (a change of the script state or of the main area), the
state is `notRunning`, the address is the page's, and the main area holds elements, none stale.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
import textwrap
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

from sqlalchemy import text

from dashboard.access.navigation import landing_page, sections_for
from dashboard.core.db import make_engine
from dashboard.core.settings import PROJECT_ROOT
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, free_port, stop, wait_for_http

DEMO_PASSWORD = "demo-password-123"
ROLE_LOGINS = {
    "admin": "admin@demo.example",
    "account_manager": "am@demo.example",
    "privacy_officer": "privacy@demo.example",
    "executive": "exec@demo.example",
}
KEY_VARIABLES = ("SECRET_KEY", "AUDIT_KEY", "USAGE_ACTOR_HASH_KEY")
WAIT_MS = 120_000

FLOOR_APP = textwrap.dedent(
    """
    import streamlit as st

    def first():
        st.title("First")
        st.write("One line.")

    def second():
        st.title("Second")
        st.write("Another line.")

    st.navigation([st.Page(first, url_path="first", default=True), st.Page(second, url_path="second")]).run()
    """
)

# Installed before each click: notes the click's time and that a run started after it.
ARM_JS = """() => {
  window.__benchClick = null; window.__benchSawRun = false; window.__benchDone = null;
  document.addEventListener('click', () => { window.__benchClick = performance.now(); },
                            {capture: true, once: true});
  if (window.__benchObservers) window.__benchObservers.forEach((o) => o.disconnect());
  const app = document.querySelector("[data-testid='stApp']");
  // A run shows as a change of the script state, or, when it is so short that React draws it in one
  // frame and the state attribute never changes, as changes in the main area.
  const state = new MutationObserver((records) => {
    if (window.__benchClick === null) return;
    const states = records.map((r) => r.oldValue).concat(app.getAttribute('data-test-script-state'));
    if (states.some((s) => s !== 'notRunning')) window.__benchSawRun = true;
  });
  state.observe(app, {attributes: true, attributeOldValue: true,
                      attributeFilter: ['data-test-script-state']});
  const main = new MutationObserver(() => {
    if (window.__benchClick !== null) window.__benchSawRun = true;
  });
  main.observe(document.querySelector("[data-testid='stMain']"),
               {subtree: true, childList: true, characterData: true, attributes: true});
  window.__benchObservers = [state, main];
}"""
DRAWN_JS = """(key) => {
  if (!window.__benchSawRun) return false;
  const app = document.querySelector("[data-testid='stApp']");
  if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (!location.pathname.endsWith('/' + key)) return false;
  if (!document.querySelector("[data-testid='stSidebarNav']")) return false;  // past the sign-in form
  const main = document.querySelector("[data-testid='stMain']");
  if (!main || !main.querySelector("[data-testid='stElementContainer']")) return false;
  if (main.querySelector("[data-stale='true']")) return false;
  window.__benchDone = performance.now();
  return true;
}"""


@dataclass
class PageTimes:
    cold: float
    warm: list[float]
    kilobytes: float = 0.0  # what the server sent over the websocket for the cold visit

    @property
    def warm_median(self) -> float:
        return median(self.warm)


@dataclass
class StoreRun:
    store: str
    load_average: str = ""
    sign_in: dict[str, float] = field(default_factory=dict)  # role → sign-in click to landing page drawn
    pages: dict[tuple[str, str], PageTimes] = field(default_factory=dict)  # (role, page title) → times
    floor: PageTimes | None = None


def load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


@contextmanager
def server(script: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    """`streamlit run script` on a free loopback port (the console through ./scripts/start): its address."""
    with server_process(script, env, log) as (base, _):
        yield base


@contextmanager
def server_process(script: Path, env: dict[str, str], log: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """`server`, with the process (./scripts/start execs streamlit, so its pid is the server's)."""
    port = free_port()
    args = [
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.fileWatcherType",
        "none",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    command = (
        ["./scripts/start", *args]
        if script.name == "streamlit_app.py"
        else [sys.executable, "-m", "streamlit", "run", str(script), *args]
    )
    with log.open("w") as handle:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/_stcore/health")
        yield base, process
    finally:
        stop(process)


def timed_click(page, link, key: str) -> float:
    """Seconds from clicking `link` to page `key` drawn after the run that click started."""
    page.evaluate(ARM_JS)
    link.click()
    page.wait_for_function(DRAWN_JS, arg=key, polling="raf", timeout=WAIT_MS)
    return page.evaluate("() => (window.__benchDone - window.__benchClick) / 1000")


def wait_idle(page) -> None:
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=WAIT_MS)


def sidebar_link(page, key: str):
    return page.locator(f"[data-testid='stSidebarNav'] a[href$='/{key}']").first


def console_context(browser):
    """A browser context as a console user's: a desktop window in the viewer's zone."""
    return browser.new_context(viewport={"width": 1400, "height": 900}, timezone_id="Europe/Berlin")


def timed_sign_in(page, base: str, role: str) -> float:
    """Seconds from the Sign in click (the role's demo login) to the landing page drawn. Returns once
    "/" has switched to the landing page and its run is over: a click before that would be overridden."""
    page.goto(base, timeout=WAIT_MS)  # 20 Chromiums starting at once on 2 cores took over 30 s
    wait_idle(page)
    page.get_by_label("Email", exact=True).fill(ROLE_LOGINS[role])
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    # The clock stops at the landing page's own address: "/" switches there, and a frame drawn at "/"
    # before the switch (which the load runs did not always see) is not the landing page yet.
    seconds = timed_click(page, page.get_by_role("button", name="Sign in"), landing_page(role).key)
    page.get_by_text("Signed in as").first.wait_for(timeout=WAIT_MS)
    wait_idle(page)
    return seconds


def time_floor(browser, floor_script: Path, work: Path, revisits: int) -> PageTimes:
    """The floor app's second page: its first visit after start (cold), then `revisits` revisits."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with server(floor_script, env, work / "floor.log") as base:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.goto(base)  # the default page answers only at "/"
        wait_idle(page)
        cold = timed_click(page, sidebar_link(page, "second"), "second")
        warm = []
        for _ in range(revisits):
            timed_click(page, sidebar_link(page, ""), "")
            warm.append(timed_click(page, sidebar_link(page, "second"), "second"))
        context.close()
    return PageTimes(cold, warm)


class ReceivedBytes:
    """Bytes of the websocket frames the page has received from the server so far."""

    def __init__(self, page) -> None:
        self.total = 0
        page.on("websocket", lambda socket: socket.on("framereceived", self._add))

    def _add(self, payload: bytes | str) -> None:
        self.total += len(payload)


def time_role(browser, base: str, role: str, run: StoreRun, revisits: int) -> None:
    """Sign in as the role's demo login, then every sidebar page once (cold) and `revisits` times more."""
    context = console_context(browser)
    page = context.new_page()
    received = ReceivedBytes(page)
    run.sign_in[role] = timed_sign_in(page, base, role)
    specs = [spec for specs in sections_for(role).values() for spec in specs]
    # The landing page was drawn by the sign-in run, so its "cold" is the first click on its link.
    for spec in specs:
        before = received.total
        cold = timed_click(page, sidebar_link(page, spec.key), spec.key)
        run.pages[(role, spec.title)] = PageTimes(cold, [], (received.total - before) / 1000)
    for _ in range(revisits):
        for spec in specs:
            run.pages[(role, spec.title)].warm.append(
                timed_click(page, sidebar_link(page, spec.key), spec.key)
            )
    context.close()


def prepared_store(store: str, work: Path) -> tuple[dict[str, str], str]:
    """Environment for a console on the small demo: SQLite in a fresh DATA_DIR (seeded before the
    server starts, as its first start would), or a fresh PostgreSQL database seeded the same way."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", *KEY_VARIABLES)}
    data_dir = work / "data"  # one store per work folder
    data_dir.mkdir()
    env.update({"DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"})
    if store == "sqlite":
        seed = "from dashboard.core.bootstrap import prepare_store; "
        seed += "from dashboard.core.settings import get_settings; "
        seed += "prepare_store(get_settings())"
        subprocess.run([sys.executable, "-c", seed], cwd=PROJECT_ROOT, env=env, check=True)
        return env, "sqlite (small demo)"
    if "://" in store:  # an existing store by its URL, e.g. one kept by --keep
        env.update({"DATABASE_URL": store, "AUTO_SEED_DEMO": "false"})
        env.update({name: os.environ[name] for name in KEY_VARIABLES if name in os.environ})
        return env, store.rsplit("/", 1)[-1]
    from scripts.benchmark import PG_ADMIN_URL

    name = f"bench_demo_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    env.update({"DATABASE_URL": url, **{k: secrets.token_urlsafe(48) for k in KEY_VARIABLES}})
    # Seeded in a child process with the console's own settings, so the audit chain and the stored
    # tokens are keyed as the console will check them.
    seed = "from dashboard.core.db import make_engine, migrate; from dashboard.demo import seed_demo; "
    seed += f"e = make_engine({url!r}); migrate(e); seed_demo(e, size='small')"
    subprocess.run([sys.executable, "-c", seed], cwd=PROJECT_ROOT, env=env, check=True)
    env["BENCH_DROP_DATABASE"] = name
    return env, "postgresql (small demo)"


def drop_database(name: str) -> None:
    from scripts.benchmark import PG_ADMIN_URL

    admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def measure_store(browser, store: str, revisits: int, roles: list[str]) -> StoreRun:
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as folder:
        work = Path(folder)
        floor_script = work / "floor_app.py"
        floor_script.write_text(FLOOR_APP)
        env, label = prepared_store(store, work)
        run = StoreRun(label, load_average=load_average())
        try:
            run.floor = time_floor(browser, floor_script, work, revisits)
            for role in roles:
                with server(PROJECT_ROOT / "streamlit_app.py", env, work / f"console-{role}.log") as base:
                    time_role(browser, base, role, run, revisits)
                print(f"  [{label}] {role} done", flush=True)
        finally:
            if "BENCH_DROP_DATABASE" in env:
                drop_database(env["BENCH_DROP_DATABASE"])
        run.load_average += f" → {load_average()}"
    return run


def launch_chromium(pw):
    """Debian's Chromium through a Playwright instance (never `playwright install`)."""
    if not Path(CHROMIUM).exists():
        raise SystemExit("Debian chromium is not installed (apt-get install -y chromium)")
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def run_browser_benchmark(stores: list[str], *, revisits: int, roles: list[str]) -> str:
    from playwright.sync_api import sync_playwright

    runs = []
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        for store in stores:
            runs.append(measure_store(browser, store, revisits, roles))
            print(browser_table(runs[-1:]), flush=True)
        browser.close()
    return browser_table(runs)


def browser_table(runs: list[StoreRun]) -> str:
    out = []
    for run in runs:
        floor = run.floor
        out.append(
            f"**{run.store}** — load average (1/5/15 min) {run.load_average}; floor app "
            f"cold {floor.cold:.3f} s, warm {floor.warm_median:.3f} s "
            f"(revisits {', '.join(f'{t:.3f}' for t in floor.warm)})\n"
        )
        out.append("| role | page | cold | warm (median) | warm ÷ floor warm | revisits | sent, cold (KB) |")
        out.append("|---|---|---:|---:|---:|---|---:|")
        for role, seconds in run.sign_in.items():
            out.append(f"| {role} | sign-in → landing page | {seconds:.3f} s | | | | |")
        for (role, title), times in run.pages.items():
            revisits = ", ".join(f"{t:.2f}" for t in times.warm)
            out.append(
                f"| {role} | {title} | {times.cold:.3f} s | {times.warm_median:.3f} s | "
                f"{times.warm_median / floor.warm_median:.1f} | {revisits} | {times.kilobytes:,.0f} |"
            )
        out.append("")
    return "\n".join(out)
