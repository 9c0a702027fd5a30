"""Every benchmark in turn, each in a fresh process (what `make bench` runs).

    .venv/bin/python -m benchmarks.run_all [name ...]

With names (e.g. `telegram_webhook`), only those. worker_scaling needs the PostgreSQL server
of the test suite; metrics_queries seeds 1,000,000 rows and takes several minutes, and
memory_curve sends 1,000,000 answers (most of an hour; `python -m benchmarks.memory_curve
--answers 200000 --every 25000` for a shorter curve).
"""

from __future__ import annotations

import subprocess
import sys
import time

from benchmarks.harness import REPO

BENCHMARKS = (
    "core_throughput",
    "twilio_webhook",
    "telegram_webhook",
    "metrics_queries",
    "worker_scaling",
    "memory_curve",
)


def main() -> int:
    chosen = sys.argv[1:] or list(BENCHMARKS)
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    failed = []
    for name in chosen:
        print(f"\n== {name} ==", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", f"benchmarks.{name}"], cwd=REPO)  # noqa: S603
        print(f"== {name}: exit {code} after {time.perf_counter() - started:.0f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
