"""A served board, opened in a real browser, shows MetricFlow's numbers.

`dct serve` serves the executive board from the tiny warehouse (read-only, on a free port);
headless Chromium loads it, lets its scripts run, and dumps the DOM. Every KPI tile of the board
must show MetricFlow's value for the latest complete month, formatted the way the board formats
it. dct draws a board as server-side SVG, so `--dump-dom` (taken after the load event, when the
page's scripts have run) holds everything a reader sees; no DevTools protocol is needed. The
page keeps an EventSource open for live reload, which stalls `--virtual-time-budget`, so the test
dumps plainly and retries until every tile is there.

Needs Chromium (`apt-get install -y chromium`; .ci/run installs it). The server and the browser
run in their own process groups and are killed, whole, at the end.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from warehouse import boards, paths
from warehouse.metrics import MetricRunner

BOARD = paths.CHARTS_DIR / "executive_kpis.yml"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
SERVER_START_TIMEOUT = 120  # s until dct serve prints its URL
PAGE_TIMEOUT = 300  # s until the board's first render answers (queries run on the first request)
BROWSER_TIMEOUT = 180  # s for Chromium to load, run scripts and dump the DOM
DUMP_ATTEMPTS = 3

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs Chromium: apt-get install -y chromium (.ci/run installs it)"
)


# --- processes ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def kill_group(process: subprocess.Popen) -> None:
    """Stop a process and everything it started (it leads its own session)."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


class Server:
    """`dct serve` in the background, its output collected for failure messages."""

    def __init__(self, database: Path) -> None:
        command, env = boards.serve_command(database, free_port(), host="127.0.0.1")
        self.process = subprocess.Popen(
            command, cwd=paths.ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self.url: str | None = None
        self._ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip())
            if self.url is None and "URL:" in line:
                self.url = line.split("URL:", 1)[1].strip().rstrip("/")
                self._ready.set()
        self._ready.set()

    def output(self) -> str:
        return "\n".join(self.lines[-40:])

    def wait_for_url(self) -> str:
        if not self._ready.wait(SERVER_START_TIMEOUT) or self.url is None:
            raise AssertionError(f"dct serve printed no URL within {SERVER_START_TIMEOUT} s:\n{self.output()}")
        return self.url

    def wait_for_page(self, url: str) -> None:
        deadline = time.monotonic() + PAGE_TIMEOUT
        last = ""
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"dct serve exited ({self.process.returncode}):\n{self.output()}")
            try:
                with urllib.request.urlopen(url, timeout=PAGE_TIMEOUT) as response:
                    if response.status == 200:
                        return
                    last = f"HTTP {response.status}"
            except (urllib.error.URLError, OSError) as exc:
                last = str(exc)
            time.sleep(1)
        raise AssertionError(f"{url} did not answer 200 within {PAGE_TIMEOUT} s ({last}):\n{self.output()}")


def dump_dom(url: str, profile: Path) -> str:
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--no-first-run",
        "--disable-sync", f"--user-data-dir={profile}", "--dump-dom", url,
    ]
    browser = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        out, err = browser.communicate(timeout=BROWSER_TIMEOUT)
    except subprocess.TimeoutExpired:
        kill_group(browser)
        raise AssertionError(f"Chromium did not dump {url} within {BROWSER_TIMEOUT} s")
    finally:
        kill_group(browser)  # its helper processes (zygote, renderer) share the group
    assert browser.returncode == 0 and "<svg" in out, (
        f"Chromium failed on {url} (exit {browser.returncode}):\n{err[-2000:]}"
    )
    return out


# --- reading the page ------------------------------------------------------------------------------


class KpiText(HTMLParser):
    """The headline text of every KPI tile: the first <text> inside <g id="chart-<tile>">."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._stack: list[str | None] = []  # the tile each open <g> belongs to
        self._capturing: str | None = None
        self._parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "g":
            tile = None
            if attributes.get("data-chart-type") == "kpi" and (attributes.get("id") or "").startswith("chart-"):
                tile = attributes["id"][len("chart-"):]
            self._stack.append(tile or (self._stack[-1] if self._stack else None))
        elif tag == "text" and self._stack and self._stack[-1] and self._stack[-1] not in self.values:
            self._capturing, self._parts = self._stack[-1], []

    def handle_endtag(self, tag):
        if tag == "g" and self._stack:
            self._stack.pop()
        elif tag == "text" and self._capturing:
            self.values[self._capturing] = "".join(self._parts).strip()
            self._capturing = None

    def handle_data(self, data):
        if self._capturing:
            self._parts.append(data)


# --- what the page should say ------------------------------------------------------------------------


def d3_fixed(value, places: int) -> set[str]:
    """`,.<places>f` as d3 prints it; an exact tie may round either way, so both are accepted."""
    exact = Decimal(value) if not isinstance(value, float) else Decimal(repr(value))
    quantum = Decimal(1).scaleb(-places)
    return {f"{abs(exact).quantize(quantum, rounding):,.{places}f}" for rounding in (ROUND_HALF_UP, ROUND_HALF_EVEN)}


def formatted(value, fmt: str) -> set[str]:
    """The strings a KPI shows for `value` in one of the board's value formats."""
    sign = "−" if value < 0 else ""  # d3 writes a minus sign, not a hyphen
    if fmt == "currency_whole":
        return {f"{sign}${digits}" for digits in d3_fixed(value, 0)}
    if fmt == "currency_full":
        return {f"{sign}${digits}" for digits in d3_fixed(value, 2)}
    if fmt == "integer":
        return {f"{sign}{digits}" for digits in d3_fixed(value, 0)}
    if fmt == "percent":
        return {f"{sign}{digits}%" for digits in d3_fixed(Decimal(repr(float(value))) * 100, 1)}
    raise AssertionError(f"the test does not know how dct prints format {fmt!r}; teach formatted() first")


def latest_complete_month(runner: MetricRunner) -> dt.date:
    """The latest month MetricFlow has orders for to its last day (the board's definition)."""
    last_day = max(day for day, value in runner.values("orders", "day").items() if value is not None)
    next_day = last_day + dt.timedelta(days=1)
    first_of_next = next_day.replace(day=1)
    return (first_of_next - dt.timedelta(days=1)).replace(day=1)


# --- the test ---------------------------------------------------------------------------------------


def kpi_tiles() -> dict[str, dict]:
    document = yaml.safe_load(BOARD.read_text(encoding="utf-8"))
    return {name: chart for name, chart in document["charts"].items() if chart["type"] == "kpi"}


@pytest.fixture(scope="module")
def served_page(tiny_warehouse, tmp_path_factory):
    """The board's DOM as Chromium has it once every KPI tile is drawn."""
    server = Server(tiny_warehouse.database)
    try:
        url = f"{server.wait_for_url()}/{BOARD.stem}/"
        server.wait_for_page(url)
        for attempt in range(1, DUMP_ATTEMPTS + 1):
            dom = dump_dom(url, tmp_path_factory.mktemp("chromium-profile"))
            parser = KpiText()
            parser.feed(dom)
            if set(kpi_tiles()) <= set(parser.values) or attempt == DUMP_ATTEMPTS:
                break
            time.sleep(2)
        yield dom
    finally:
        kill_group(server.process)
    assert server.process.poll() is not None, "dct serve is still running"


def test_served_board_shows_metricflow_kpis(served_page, tiny_warehouse):
    parser = KpiText()
    parser.feed(served_page)
    shown = {tile: "".join(text.split()) for tile, text in parser.values.items()}

    tiles = kpi_tiles()
    assert set(tiles) <= set(shown), f"KPI tiles missing from the page: {sorted(set(tiles) - set(shown))}"

    with MetricRunner(tiny_warehouse.target_dir / "semantic_manifest.json", tiny_warehouse.database) as runner:
        month = latest_complete_month(runner)
        metrics = set(runner.metric_names())
        checked = []
        for name, tile in tiles.items():
            column = tile["value"]
            if column == "month_label":
                assert shown[name] == month.strftime("%B%Y"), f"{name} shows {shown[name]!r}, expected {month:%B %Y}"
                continue
            assert column in metrics, f"{name} shows {column!r}, not a metric"
            value = runner.values(column, "month").get(month)
            assert value is not None, f"MetricFlow has no {column} for {month}"
            expected = formatted(value, tile["style"]["value"]["format"])
            assert shown[name] in expected, (
                f"{name} ({tile['label']}) shows {shown[name]!r}; MetricFlow's {column} for {month:%B %Y} is "
                f"{value!r}, which the board formats as {' or '.join(sorted(expected))}"
            )
            checked.append(column)
    assert len(checked) >= 6, f"only {checked} were checked"
