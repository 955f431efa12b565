"""`gemini-proxy batch prompts.txt [--wait]`: submit a batch of image prompts to a running
proxy over HTTP, one prompt per line, and follow its progress with a progress bar.

Results (one `task_id url` line each) go to stdout; the bar and errors go to stderr.
"""

import sys
import time
from pathlib import Path
from typing import Any

import httpx

FAILED = 1
BAD_INPUT = 2


class BatchFailed(Exception):
    """The proxy refused or could not be reached; the message says why."""


def run_batch(
    prompts_file: Path,
    *,
    url: str,
    api_key: str | None,
    model: str | None,
    wait: bool,
    poll_interval: float,
) -> int:
    try:
        prompts = [line.strip() for line in prompts_file.read_text(encoding="utf-8").splitlines()]
    except OSError as exc:
        print(f"gemini-proxy: cannot read {prompts_file}: {exc.strerror}", file=sys.stderr)
        return BAD_INPUT
    prompts = [prompt for prompt in prompts if prompt]
    if not prompts:
        print(f"gemini-proxy: {prompts_file} holds no prompts", file=sys.stderr)
        return BAD_INPUT
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    body: dict[str, Any] = {"prompts": prompts, "response_type": "url"}
    if model:
        body["model"] = model
    try:
        with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
            batch = _call(http, "POST", "/v1/batch/images", json=body)
            batch_id = batch["batch_id"]
            print(f"batch {batch_id}: {batch['total']} prompts submitted", file=sys.stderr)
            if not wait:
                print(f"follow it: GET {url}/v1/batch/{batch_id}/status", file=sys.stderr)
                return 0
            report = _follow(http, batch_id, batch["total"], poll_interval)
    except BatchFailed as exc:
        print(f"gemini-proxy: {exc}", file=sys.stderr)
        return FAILED
    for result in report["results"]:
        print(result["task_id"], result.get("url", ""))
    for error in report["errors"]:
        print(f"{error['task_id']} failed: {error['error']}", file=sys.stderr)
    print(f"batch {batch_id}: {report['status']} ({report['progress']})", file=sys.stderr)
    return 0 if report["status"] == "completed" else FAILED


def _follow(http: httpx.Client, batch_id: str, total: int, poll_interval: float) -> Any:
    """Poll the batch's status until it ends, moving a progress bar over finished tasks."""
    from tqdm import tqdm

    with tqdm(total=total, unit="image", desc=batch_id, file=sys.stderr) as bar:
        while True:
            report = _call(http, "GET", f"/v1/batch/{batch_id}/status")
            bar.update(report["completed"] + report["failed"] - bar.n)
            bar.set_postfix(failed=report["failed"], refresh=False)
            if report["status"] != "processing":
                return report
            time.sleep(poll_interval)


def _call(http: httpx.Client, method: str, path: str, **kwargs: Any) -> Any:
    try:
        response = http.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        raise BatchFailed(f"cannot reach the proxy at {http.base_url}: {exc}") from None
    if response.is_error:
        raise BatchFailed(f"{method} {path}: {response.status_code} {_detail(response)}")
    return response.json()


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text
    return str(body.get("detail") or body) if isinstance(body, dict) else response.text
