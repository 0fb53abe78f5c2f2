"""gunicorn's threaded worker, taking new connections only while one of its threads is free.

gunicorn's `gthread` worker accepts every connection it can, busy or not, and a kept-alive
connection stays with the worker that accepted it. When many clients connect at once (50
agents syncing after a morning offline, a dispatch room opening the board), whichever worker
wakes first takes most of them: in the agent sync benchmark (benchmarks/agent_sync.py, 4
workers × 2 threads) the 50 agents were held 26 / 19 / 9 / 6 by the four workers, so the
busiest one queued half the requests while another sat mostly idle. This worker stops
listening while all its threads are busy and listens again as soon as one is free: the
connections go to the workers that have room. Same run: 15 / 16 / 14 / 15 agents per worker,
photo p95 514 -> 303 ms, intervention p95 1,077 -> 457 ms.

Use: `gunicorn config.wsgi --worker-class config.gunicorn_worker.BalancedThreadWorker
--threads 2` (docs/deploy.md). Everything else is gunicorn's ThreadWorker; the hooks
overridden below run on the worker's main thread, so the count needs no lock.
"""

from typing import Any

from gunicorn.workers.gthread import ThreadWorker


class BalancedThreadWorker(ThreadWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.busy = 0  # requests handed to the thread pool and not finished yet

    def enqueue_req(self, conn: Any) -> None:
        self.busy += 1
        super().enqueue_req(conn)
        if self.busy >= self.cfg.threads:
            self.set_accept_enabled(False)

    def finish_request(self, conn: Any, fs: Any) -> None:
        self.busy -= 1
        super().finish_request(conn, fs)

    def set_accept_enabled(self, enabled: bool) -> None:
        # gunicorn's loop re-enables accepting on every turn while it has room for more
        # connections: only with a free thread.
        super().set_accept_enabled(enabled and self.busy < self.cfg.threads)
