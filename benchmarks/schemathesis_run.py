"""schemathesis, the big run: every phase (explicit examples, coverage, fuzzing, stateful
links; the other APIs all but stateful, see RUNS) against gunicorn on loopback, as a
dispatcher of the demo community.

The CI-sized run is tests/ops/test_schemathesis.py (examples and fuzzing, 20 requests per
operation, in-process, half of them on real objects). Here: SCHEMATHESIS_EXAMPLES (default 100) per operation and phase. Under
/api/v1/ the answers must be no 5xx and match the documented status codes, content types
and schemas; the other documented operations (the field app's and dispatch's APIViews,
which drf-spectacular cannot describe) must not answer a 5xx. A database of its own,
seeded small (benchmarks.load.seed: two agents' missions), since the run writes.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import harness

DB_NAME = "ronde_bench_schemathesis"
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "100"))
CONTRACT = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
ALL_PHASES = "examples,coverage,fuzzing,stateful"
# The other APIs skip the stateful phase: the links schemathesis infers between the field
# app's sync PUTs (client UUIDs) have no operation to start from, and hypothesis stops the
# state machine with "No progress can be made" (an error of the run, not of Ronde).
RUNS = [
    ("REST API /api/v1/", ALL_PHASES, ["--include-path-regex", "^/api/v1/", "--checks", CONTRACT]),
    (
        "other APIs (no 5xx)",
        "examples,coverage,fuzzing",
        ["--exclude-path-regex", "^/api/v1/", "--checks", "not_a_server_error"],
    ),
]


def _prepare() -> tuple[str, str]:
    """A fresh database with a community of agents and one dispatcher (benchmarks.load.seed) → url, token."""
    url, data = harness.seeded_database(DB_NAME, "benchmarks.load:seed(2, 1, 1)")
    return url, data["dispatchers"][0]


def run() -> None:
    url, token = _prepare()
    st = str(Path(sys.executable).parent / "st")
    reports = harness.BENCH_DIR / "schemathesis"
    reports.mkdir(parents=True, exist_ok=True)
    failed = []
    with harness.ronde_server(url, workers=2) as base:
        for label, phases, args in RUNS:
            argv = [st, "run", f"{base}/api/schema/", "--header", f"Authorization: Token {token}",
                    "--max-examples", str(EXAMPLES), "--phases", phases,
                    "--seed", "20240601", "--no-color", "--report", "junit",
                    "--report-junit-path", str(reports / f"{label.split()[0].lower()}.xml"), *args]  # fmt: skip
            started = time.monotonic()
            # cwd: the CLI keeps its caches (.schemathesis/, .hypothesis/) there, not in the work tree.
            result = subprocess.run(argv, cwd=reports, capture_output=True, text=True)
            # The CLI's own summary: operations, test cases, failures by check.
            summary = (
                result.stdout[result.stdout.rfind("=" * 20) - 2000 :] if "=" * 20 in result.stdout else ""
            )
            print(f"--- {label}: exit {result.returncode} in {time.monotonic() - started:.0f} s")
            print(summary.strip()[-2500:] or result.stdout[-2500:] or result.stderr[-2500:])
            if result.returncode != 0:
                failed.append(label)
    if failed:
        raise RuntimeError(f"schemathesis found failures in: {', '.join(failed)} (reports in {reports})")
