"""Three replicas as real processes sharing Redis and PostgreSQL, against the fake upstream:
the limits hold whichever replica a client reaches, and a replica killed mid-request frees its
slot within the lease and loses no batch task."""

import asyncio
import itertools
import re
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest
import redis
import yaml

from tests.fakes.gemini_web import FakeGeminiWeb, Reply, make_png
from tests.live import ServerProcess, chat, free_port, poll

REPLICAS = 3
INTERVAL = 0.5
QUOTA = 4
LEASE = 1.5
# Between a request's admission and its upstream call the replicas differ by milliseconds.
SCHEDULING_SLACK = 0.05


class Cluster:
    def __init__(self, servers: list[ServerProcess], redis_url: str, prefix: str, data: Path):
        self.servers = servers
        self.redis = redis.Redis.from_url(redis_url, decode_responses=True)
        self.prefix = prefix
        self.data = data

    def leases(self) -> list[str]:
        """Lease ids (`host:pid:random`) holding a slot of account `main` right now."""
        return self.redis.zrange(f"{self.prefix}pool:{{main}}:leases", 0, -1)

    def owner(self, lease: str) -> ServerProcess:
        pid = int(lease.split(":")[1])
        return next(s for s in self.servers if s.process.pid == pid)


@pytest.fixture(scope="module")
def schema_url(postgres_url: str) -> Iterator[str]:
    schema = f"replicas_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield f"{postgres_url}?options=-csearch_path%3D{schema}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(scope="module")
def cluster(
    fake_gemini_server: FakeGeminiWeb,
    redis_url: str,
    schema_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Cluster]:
    data = tmp_path_factory.mktemp("replicas")
    prefix = f"test-{uuid.uuid4().hex[:12]}:"
    config = data / "config.yaml"
    config.write_text(yaml.safe_dump({
        "server": {"data_dir": str(data / "data"), "log_level": "WARNING"},
        "accounts": [{"name": "main", "secure_1psid": "psid-main", "secure_1psidts": "ts-main"}],
        "gemini_web": {"init_timeout": 10, "request_timeout": 20},
        "limits": {
            "client": {
                "per_ip_per_hour": QUOTA,
                "model_interval_seconds": INTERVAL,
                "trusted_proxies": ["127.0.0.1/32"],  # each test picks its client IPs
            },
            "pool": {"size": 2, "max_queue": 50},
            "pacing": {"min_delay": 0.001, "jitter": 0},
            "retry": {"max_retries": 0},
        },
        "database": {"url": schema_url},
        "jobs": {"lease_seconds": 1.0, "poll_interval": 0.1, "worker_concurrency": 3},
        "redis": {"url": redis_url, "key_prefix": prefix, "lease_seconds": LEASE},
    }))  # fmt: skip
    ports = [free_port() for _ in range(REPLICAS)]
    with ThreadPoolExecutor(REPLICAS) as pool:
        servers = list(pool.map(lambda p: ServerProcess.proxy(config, p, "--port", str(p)), ports))
    cluster = Cluster(servers, redis_url, prefix, data / "data")
    try:
        yield cluster
    finally:
        for server in servers:
            server.stop()
        keys = list(cluster.redis.scan_iter(match=f"{prefix}*"))
        if keys:
            cluster.redis.delete(*keys)
        cluster.redis.close()


def test_the_per_ip_quota_holds_across_replicas(
    fake_gemini: FakeGeminiWeb, cluster: Cluster
) -> None:
    urls = itertools.cycle(s.url for s in cluster.servers)
    # A model each, so the per-model interval stays out of the way.
    models = ["gemini-3-flash-preview", "gemini-2.5-flash", "gemini-2.5-pro", "gemini-3.0-pro"]
    client = {"X-Forwarded-For": "198.51.100.7"}
    assert [chat(next(urls), headers=client, model=m).status_code for m in models] == [200] * QUOTA
    refused = chat(next(urls), headers=client, model="gemini-2.5-pro")
    assert refused.status_code == 429
    assert re.fullmatch(
        r"请求过于频繁：每小时最多 4 次，请等待 35\d\d\.\d 秒后重试", refused.json()["detail"]
    )
    assert 3500 < int(refused.headers["retry-after"]) <= 3600


def test_the_model_interval_holds_across_replicas(
    fake_gemini: FakeGeminiWeb, cluster: Cluster
) -> None:
    ips = (f"203.0.{i // 250}.{i % 250}" for i in itertools.count())
    model = "gemini-2.5-flash"

    async def client(url: str, deadline: float) -> list[httpx.Response]:
        answers = []
        async with httpx.AsyncClient(timeout=30) as http:
            while time.monotonic() < deadline:
                body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
                headers = {"X-Forwarded-For": next(ips)}
                answers.append(
                    await http.post(f"{url}/v1/chat/completions", json=body, headers=headers)
                )
        return answers

    async def clients() -> list[httpx.Response]:
        deadline = time.monotonic() + 4 * INTERVAL
        replies = await asyncio.gather(*(client(s.url, deadline) for s in cluster.servers))
        return [answer for each in replies for answer in each]

    answers = asyncio.run(clients())
    admitted = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code != 200]
    assert 3 <= len(admitted) <= 5 and len(refused) > 10
    for answer in refused:
        assert answer.status_code == 429 and answer.headers["retry-after"] == "1"
        detail = answer.json()["detail"]
        assert re.fullmatch(rf"模型 {model} 调用过于频繁，请等待 0\.\d 秒后重试", detail)
    seen = sorted(r.received_at for r in fake_gemini.generate_requests)
    assert len(seen) == len(admitted)
    gaps = [later - earlier for earlier, later in itertools.pairwise(seen)]
    assert min(gaps) >= INTERVAL - SCHEDULING_SLACK, gaps


def test_a_replica_killed_mid_batch_frees_its_slot_and_loses_no_task(
    fake_gemini: FakeGeminiWeb, cluster: Cluster
) -> None:
    fake_gemini.respond_with(lambda request: Reply(text="ok", images=[make_png(8, 8)]))
    fake_gemini.latency = 0.3  # less than the lease: a dead replica's call ends before it
    first = cluster.servers[0]
    # A batch runs at most 2 tasks at once: three batches (one per image model, so the model
    # interval lets them in) put 6 tasks before the account's 2 slots.
    models = [
        "gemini-2.5-flash-image",
        "gemini-3-pro-image-preview",
        "gemini-3-pro-image-preview-2k",
    ]
    batches = [
        httpx.post(
            f"{server.url}/v1/batch/images",
            json={"prompts": [f"{model} picture {i}" for i in range(3)], "model": model},
            headers={"X-Forwarded-For": "192.0.2.1"},
        ).json()["batch_id"]
        for server, model in zip(cluster.servers, models, strict=True)
    ]

    # Kill a replica other than the one we ask, while it holds an upstream slot.
    lease = poll(
        lambda: next((x for x in cluster.leases() if cluster.owner(x) is not first), None),
        "a lease held by another replica",
    )
    victim = cluster.owner(lease)
    victim.kill()
    # Gone within the lease (pruned when a replica next asks for a slot), with room for a busy
    # machine's scheduling; a lease that outlived its replica would stay for good.
    poll(lambda: lease not in cluster.leases(), "the dead replica's lease to expire", LEASE + 2)

    for batch in batches:
        status_url = f"{first.url}/v1/batch/{batch}/status"
        status = poll(
            lambda url=status_url: (s := httpx.get(url).json())["status"] != "processing" and s,
            "the batch to finish",
            60,
        )
        assert status["status"] == "completed" and status["progress"] == "3/3"
        assert [r["task_id"] for r in status["results"]] == [f"{batch}_task_{i}" for i in range(3)]
    stored = sorted((cluster.data / "images" / "gemini-images").glob("*.png"))
    assert len(stored) == 9  # one object per task, even for a task run twice
    assert fake_gemini.peak_open_generates("psid-main") == 2  # both slots used, never a third
