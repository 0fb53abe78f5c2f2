"""gunicorn server hooks for the benchmarks' Ronde servers (harness.ronde_server): each worker
says when it has loaded the app.

Without it a run starts as soon as the first worker answers /health/, while the others are
still importing Django: in the agent sync run that was ~20 % of the web workers' CPU during
the timed requests (a py-spy sample), time no deployed server spends once it is up.
"""

import os
from pathlib import Path


def post_worker_init(worker) -> None:  # type: ignore[no-untyped-def]
    folder = os.environ.get("RONDE_BENCH_READY_DIR")
    if folder:
        (Path(folder) / str(worker.pid)).touch()
