"""The top costs in a py-spy profile (collapsed stacks, `--format raw`), as shares of samples.

    .venv/bin/python -m benchmarks.profile_summary PROFILE [--top 25]

Prints the functions with the most samples of their own (self), and the share of samples
spent under a few groups that matter on the answer path (inclusive): SQLite, the signature
check, the web framework, the engine. A benchmark writes such a file with `--profile FILE`.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

# (label, a substring of a frame): a sample counts once per group if any frame matches.
GROUPS = (
    ("SQLite (driver calls)", "sqlite3"),
    ("SQLite COMMIT/BEGIN", "execute ("),
    ("PostgreSQL driver (psycopg)", "psycopg/"),
    ("Twilio signature", "signature_is_valid"),
    ("form parse", "read_form"),
    ("survey service (receive)", "service.py"),
    ("normaliser", "normalise.py"),
    ("Telegram update parse", "de_json"),
    ("Telegram outbox drain", "drainer.py"),
    ("starlette/fastapi", "starlette/"),
    ("uvicorn/h11/httptools", "uvicorn/"),
    ("SQLAlchemy", "sqlalchemy/"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    own: Counter[str] = Counter()
    groups: Counter[str] = Counter()
    total = 0
    for line in args.profile.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        own[frames[-1]] += n
        for label, needle in GROUPS:
            if any(needle in frame for frame in frames):
                groups[label] += n
    if not total:
        print("no samples")
        return
    print(f"{total} samples\n\ninclusive:")
    for label, _needle in GROUPS:
        print(f"  {groups[label] / total:6.1%}  {label}")
    print("\nself (top frames):")
    for frame, n in own.most_common(args.top):
        print(f"  {n / total:6.1%}  {frame[:140]}")


if __name__ == "__main__":
    main()
