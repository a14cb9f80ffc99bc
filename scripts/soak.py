"""Soak: the fault scenarios of tests/faults with more profiles, several times over. Run by hand.

    .venv/bin/python scripts/soak.py [--profiles 1000] [--rate 50] [--repeat 2] [-k EXPR]

Each round runs `pytest tests/faults` with BROBYGGER_FAULTS_PROFILES and BROBYGGER_FAULTS_RATE set;
the outcome table (lost, duplicates, raw deliveries, 5xx, dead letters per scenario) is printed at
the end of each round. The exit code is non-zero when any round failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("-k", dest="select", default=None, help="only scenarios matching this pytest -k expression")
    args = parser.parse_args(argv)
    env = {**os.environ, "BROBYGGER_FAULTS_PROFILES": str(args.profiles), "BROBYGGER_FAULTS_RATE": str(args.rate)}
    failed = 0
    for round_ in range(1, args.repeat + 1):
        print(f"# round {round_} of {args.repeat}: {args.profiles} profiles at {args.rate:g}/s", flush=True)
        command = [sys.executable, "-m", "pytest", "tests/faults", "-q", "-p", "no:cacheprovider", "-o", "timeout=900"]
        if args.select:
            command += ["-k", args.select]
        failed += subprocess.run(command, cwd=ROOT, env=env, check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
