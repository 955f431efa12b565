"""Real PostgreSQL for tests: a reachable server, and a fresh schema per test.

PostgreSQL is looked for at `JOBS_TEST_POSTGRES_URL` or 127.0.0.1:5432 (database `test`, user
postgres or root); each test gets its own schema, dropped afterwards. If no server answers, the
PostgreSQL variants are skipped with the reason (CI starts the server).
"""

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest

_CANDIDATE_URLS = (
    "postgresql://postgres@127.0.0.1:5432/test",
    "postgresql://root@127.0.0.1:5432/test",
)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The URL of a reachable PostgreSQL server, or skip."""
    configured = os.environ.get("JOBS_TEST_POSTGRES_URL")
    problems = []
    for url in (configured,) if configured else _CANDIDATE_URLS:
        try:
            with psycopg.connect(url, connect_timeout=3):
                return url
        except psycopg.OperationalError as exc:
            problems.append(f"{url}: {str(exc).strip().splitlines()[0]}")
    pytest.skip("PostgreSQL unreachable, its variants are skipped: " + "; ".join(problems))


@pytest.fixture
def postgres_schema_url(postgres_url: str) -> Iterator[str]:
    """`postgres_url` with its own, empty search_path schema for this test."""
    schema = f"jobs_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield f"{postgres_url}?options=-csearch_path%3D{schema}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> str:
    """A job database on each engine: a SQLite file, and a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/jobs.db"
    return str(request.getfixturevalue("postgres_schema_url"))
