"""dashboards/ proved against the real thing: promtool accepts the Prometheus config and alert
rules (and their unit tests), and a real Prometheus scraping a real proxy, after traffic that
touches every panel, answers every dashboard query with data and every alert query without error.
"""

import contextlib
import itertools
import json
import math
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.fakes.gemini_web import FakeGeminiWeb, Reply, make_png
from tests.live import LiveServer, free_port, poll, settings_for_fake

DASHBOARDS = Path(__file__).resolve().parents[1] / "dashboards"
DASHBOARD = DASHBOARDS / "grafana" / "gemini-proxy.json"
PROVISIONING = DASHBOARDS / "grafana" / "provisioning"
PROMETHEUS = DASHBOARDS / "prometheus"
ROWS = ["Traffic", "Errors", "Latency", "Limiter", "Pool", "Accounts and cookies", "Images", "Jobs"]
# Rows whose metrics only exist once a route has served traffic: (row, route it needs).
# What Grafana would put in place of its variables; 2m spans all of the test's traffic.
VARIABLES = {"__rate_interval": "2m", "__interval": "15s", "__range": "1h", "instance": ".*"}
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]")

needs_prometheus = pytest.mark.skipif(
    not (shutil.which("prometheus") and shutil.which("promtool")),
    reason="prometheus/promtool not installed (Debian package `prometheus`; .ci/run installs it)",
)


# -- what the files hold -----------------------------------------------------------------------


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


def dashboard_queries() -> list[tuple[str, str, str]]:
    """(row title, panel title, expr) of every query, in dashboard order."""
    queries, row = [], ""
    for panel in dashboard()["panels"]:
        if panel["type"] == "row":
            row = panel["title"]
        for inner in [panel, *panel.get("panels", [])]:
            queries += [(row, inner["title"], t["expr"]) for t in inner.get("targets", [])]
    return queries


def concrete(expr: str) -> str:
    """`expr` with Grafana's variables replaced as Grafana would; KeyError for an unknown one."""
    return _VARIABLE.sub(lambda m: VARIABLES[next(g for g in m.groups() if g)], expr)


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["promtool", *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )


def config_scraping(target: str, directory: Path) -> Path:
    """The shipped prometheus.yml, scraping `target` every second, its rules copied beside it."""
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    config["scrape_configs"][0]["static_configs"] = [{"targets": [target]}]
    for rule_file in config["rule_files"]:
        shutil.copy(PROMETHEUS / rule_file, directory / rule_file)
    path = directory / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


# -- the files on their own ----------------------------------------------------------------------


def test_the_dashboard_has_every_row_and_only_known_variables() -> None:
    board = dashboard()
    assert board["schemaVersion"] >= 38 and board["uid"] == "gemini-proxy"
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert [p["title"] for p in board["panels"] if p["type"] == "row"] == ROWS
    panels = [p for p in board["panels"] if p["type"] != "row"]
    assert len({p["title"] for p in panels}) == len(panels) == len({p["id"] for p in panels})
    for panel in panels:
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["targets"], panel["title"]
        for query in panel["targets"]:
            assert query["datasource"]["uid"] == "${datasource}", panel["title"]
            assert "$" not in concrete(query["expr"]), panel["title"]
            assert "gemini_proxy_" in query["expr"], panel["title"]


def test_provisioning_serves_the_dashboard_from_a_prometheus_datasource() -> None:
    sources = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yml").read_text())
    (source,) = sources["datasources"]
    assert source["type"] == "prometheus" and source["isDefault"] and source["url"]
    providers = yaml.safe_load((PROVISIONING / "dashboards" / "gemini-proxy.yml").read_text())
    (provider,) = providers["providers"]
    assert provider["type"] == "file" and provider["options"]["path"].startswith("/")
    assert provider["options"]["path"] in (DASHBOARDS / "README.md").read_text()


@needs_prometheus
def test_alert_rules_pass_promtool_and_their_unit_tests() -> None:
    checked = promtool("check", "rules", PROMETHEUS / "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", PROMETHEUS / "alerts_test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    names = {rule["alert"] for rule in alert_rules()}
    assert {"GeminiProxyCookieInvalid", "GeminiProxy429Storm", "GeminiProxyQueueSaturated",
            "GeminiProxyWatermarkFailures", "GeminiProxyCookieRotationStale"} <= names  # fmt: skip
    for rule in alert_rules():
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert {"summary", "description"} <= rule["annotations"].keys(), rule["alert"]
    unit_tested = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())
    fired = {case["alertname"] for test in unit_tested["tests"]
             for case in test["alert_rule_test"] if case["exp_alerts"]}  # fmt: skip
    assert fired == names  # every alert has a unit test that makes it fire


@needs_prometheus
def test_prometheus_config_passes_promtool(tmp_path: Path) -> None:
    checked = promtool("check", "config", config_scraping("127.0.0.1:8100", tmp_path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "1 rule files found" in checked.stdout


# -- traffic that touches every panel ------------------------------------------------------------


class Driver:
    """Requests to the proxy, each from its own client (X-Forwarded-For) unless `who` is given,
    so the hourly per-client quota of 1 refuses only the requests meant to be refused."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.clients = itertools.count()

    def post(self, path: str, body: dict[str, Any], who: str | None = None) -> httpx.Response:
        who = who or f"client-{next(self.clients)}"
        return self.http.post(path, json=body, headers={"x-forwarded-for": who})

    def chat(self, model: str = "gemini-2.5-flash", **extra: Any) -> int:
        body = {"model": model, "messages": [{"role": "user", "content": "hi"}], **extra}
        return self.post("/v1/chat/completions", body).status_code


def drive_text(fake: FakeGeminiWeb, drive: Driver, round_: int) -> None:
    assert drive.chat() == 200
    assert drive.chat("gemini-2.5-pro", stream=True) == 200  # time to first token
    assert drive.post("/v1/generate", {"prompt": "ping"}).status_code == 200
    native = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    assert drive.post("/v1beta/models/gemini-2.5-flash:generateContent", native).status_code == 200
    assert drive.chat("gpt-4o") == 400  # unknown model
    fake.fail_stream(1037)  # usage limit: a 429, not retried
    assert drive.chat() == 429
    fake.fail_stream(1060)  # temporarily blocked
    assert drive.chat() == 429
    fake.fail("generate", 500, times=2)  # fails, is retried, fails again: a 5xx
    assert drive.chat() == 502
    greedy = f"greedy-{round_}"
    assert drive.post("/v1/generate", {"prompt": "a"}, who=greedy).status_code == 200
    assert drive.post("/v1/generate", {"prompt": "b"}, who=greedy).status_code == 429


def drive_images(fake: FakeGeminiWeb, drive: Driver) -> None:
    fake.respond_with(lambda request: Reply(text="Here", images=[make_png(64, 64)]))
    try:
        for response_format in ("b64_json", "url"):
            body = {"prompt": "a red square", "response_format": response_format}
            assert drive.post("/v1/images/generations", body).status_code == 200
        batch = {"prompts": ["a red square", "a red circle"], "response_type": "url"}
        started = drive.post("/v1/batch/images", batch)
        assert started.status_code == 200, started.text
        status = f"/v1/batch/{started.json()['batch_id']}/status"
        poll(lambda: drive.http.get(status).json()["status"] != "processing", "batch done")
    finally:
        fake.respond_with(None)


# -- a real Prometheus ---------------------------------------------------------------------------


class Prometheus:
    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def query(self, expr: str) -> tuple[list[float] | None, str]:
        """The values of instant query `expr` now, or None and Prometheus' error."""
        answer = self.http.get("/api/v1/query", params={"query": expr}).json()
        if answer["status"] != "success":
            return None, f"{answer.get('errorType')}: {answer.get('error')}"
        return [float(sample["value"][1]) for sample in answer["data"]["result"]], ""

    def values(self, expr: str) -> list[float]:
        values, error = self.query(expr)
        assert values is not None, f"{expr}: {error}"
        return values

    def wait_for_scrape_after(self, moment: float) -> None:
        """Until a scrape that started after `moment` (Unix time) is stored."""
        poll(lambda: any(t > moment for t in self.values("timestamp(up)")), "a fresh scrape")

    def alert_states(self) -> dict[str, str]:
        alerts = self.http.get("/api/v1/alerts").json()["data"]["alerts"]
        return {alert["labels"]["alertname"]: alert["state"] for alert in alerts}


@contextlib.contextmanager
def running_prometheus(tmp_path: Path, target: str) -> Iterator[Prometheus]:
    port = free_port()
    log = (tmp_path / "prometheus.log").open("w")
    process = subprocess.Popen(
        ["prometheus", f"--config.file={config_scraping(target, tmp_path)}",
         f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
    try:
        poll(lambda: process.poll() is not None or http.get("/-/ready").is_success, "Prometheus")
        assert process.poll() is None, (tmp_path / "prometheus.log").read_text()[-2000:]
        prometheus = Prometheus(http)
        poll(lambda: prometheus.values("up == 1"), "the proxy scraped")
        yield prometheus
    finally:
        http.close()
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        log.close()


@pytest.mark.slow
@needs_prometheus
def test_every_dashboard_query_returns_data_from_a_real_prometheus(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    limits = {
        "client": {"enabled": True, "per_ip_per_hour": 1, "model_interval_seconds": 0,
                   "trusted_proxies": ["127.0.0.1/32"]},
        "retry": {"max_retries": 1, "base": 0, "retry_on": [502]},
    }  # fmt: skip
    # Limited and blocked accounts return to rotation at once, so one account serves it all.
    cooldowns = {"usage_limit_cooldown": 0.001, "block_cooldown": 0.001}
    settings = settings_for_fake(str(tmp_path / "data"), limits=limits, gemini_web=cooldowns)
    with (
        LiveServer(settings) as live,
        running_prometheus(tmp_path, f"127.0.0.1:{live.port}") as prom,
        httpx.Client(base_url=live.url, timeout=30) as http,
    ):
        drive = Driver(http)
        for round_ in (1, 2):  # twice, so that every counter grows between two scrapes
            drive_text(fake_gemini, drive, round_)
            drive_images(fake_gemini, drive)
            prom.wait_for_scrape_after(time.time())
        fake_gemini.expire(psid="psid-main")
        assert drive.chat() == 503
        prom.wait_for_scrape_after(time.time())

        broken, empty = [], []
        for _row, title, expr in dashboard_queries():
            values, error = prom.query(concrete(expr))
            if values is None:
                broken.append(f"{title}: {error}")
            elif all(math.isnan(v) for v in values):  # also when there are none
                empty.append(f"{title}: {expr}")
        assert not (broken or empty), "\n".join(
            ["refused by Prometheus:", *broken, "without data:", *empty]
        )
        for rule in alert_rules():
            prom.values(rule["expr"])
        poll(lambda: "GeminiProxyCookieInvalid" in prom.alert_states(), "the cookie alert")
        states = prom.alert_states()
        assert states["GeminiProxyCookieInvalid"] == "pending"  # `for: 5m`
        assert states["GeminiProxyAccountLimited"] == "firing"
