"""A bounded fuzz run over our own OpenAPI document (schemathesis): every operation gets a few
generated requests against a live server and the fake upstream. No answer may be a 5xx and
no connection may drop. The fake draws an image for every prompt, so no upstream 502 is due."""

from collections import Counter
from pathlib import Path

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase

from tests.fakes.gemini_web import FakeGeminiWeb, Reply, make_png
from tests.live import LiveServer, settings_for_fake

pytestmark = pytest.mark.slow  # 20-40 s

EXAMPLES_PER_OPERATION = 3
FUZZ = hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def test_no_generated_request_gets_a_5xx_or_a_dropped_connection(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    fake_gemini.respond_with(lambda request: Reply(text="drawn", images=[make_png(8, 8)]))
    settings = settings_for_fake(str(tmp_path), gemini_web={"request_timeout": 5})
    tried: Counter[str] = Counter()
    failures: list[str] = []
    with LiveServer(settings) as live:
        schema = schemathesis.openapi.from_url(f"{live.url}/openapi.json")
        session = requests.Session()
        for result in schema.get_all_operations():
            operation = result.ok()

            @FUZZ
            @hypothesis.given(case=operation.as_strategy())
            def call(case: schemathesis.Case) -> None:
                tried["requests"] += 1
                try:
                    response = case.call(base_url=live.url, session=session, timeout=30)
                except requests.ConnectionError as exc:
                    tried["dropped"] += 1
                    failures.append(f"{case.method} {case.formatted_path}: dropped ({exc!r})")
                    return
                tried[f"{response.status_code // 100}xx"] += 1
                tried["ms_in_requests"] += int(response.elapsed * 1000)
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path}: {response.status_code} "
                        f"{response.text[:200]}"
                    )

            call()
            tried["operations"] += 1
    print(f"fuzz: {dict(tried)}")  # inputs tried, 5xx seen, connections dropped
    assert tried["operations"] >= 20
    assert not failures, "\n".join(failures[:20])
