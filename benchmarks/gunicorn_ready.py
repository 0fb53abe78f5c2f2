"""gunicorn server hooks for the benchmarks' Ronde servers (harness.ronde_server): each worker
says when it has loaded the app.

Without it a run starts as soon as the first worker answers /health/, while the others may
still be importing Django (~3 s of CPU each), time no deployed server spends once it is up.
On an idle machine the last worker is ready 0.1-0.2 s after the first answer; on a busy one,
longer.
"""

import os
from pathlib import Path


def post_worker_init(worker) -> None:  # type: ignore[no-untyped-def]
    folder = os.environ.get("RONDE_BENCH_READY_DIR")
    if folder:
        (Path(folder) / str(worker.pid)).touch()
