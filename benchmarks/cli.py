"""CLI start-up benchmark: wall time of `--help` and of a config error, as an operator sees it.

Each case runs as a fresh process several times; prints median, min and max. The command
defaults to this interpreter running the source tree (`python -m proxy`); `--command
gemini-proxy` times the installed script instead.

    python -m benchmarks.cli [--runs 7] [--command gemini-proxy]
"""

import argparse
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def wall_times(argv: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cli")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--command", default=f"{shlex.quote(sys.executable)} -m proxy")
    args = parser.parse_args(argv)
    command = shlex.split(args.command)
    with tempfile.TemporaryDirectory() as directory:
        bad = Path(directory) / "bad.yaml"
        bad.write_text("server:\n  prot: 8100\n", encoding="utf-8")  # a typo of `port`
        cases = {
            "--help": [*command, "--help"],
            "check --config bad.yaml": [*command, "check", "--config", str(bad)],
        }
        print(f"{'command':<26} {'median':>8} {'min':>8} {'max':>8}   ({args.runs} runs)")
        for name, case in cases.items():
            times = wall_times(case, args.runs)
            median, low, high = statistics.median(times), min(times), max(times)
            print(f"{name:<26} {median:>7.3f}s {low:>7.3f}s {high:>7.3f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
