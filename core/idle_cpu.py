"""CPU-heavy background work on a core nobody else wants (Linux SCHED_IDLE), on one thread.

Why: the background worker finishes every photo an agent sends (decode, strip, downscale,
thumbnail: tens of ms of CPU each) while the agents are still sending the next ones. At the
worker's nice 10 that CPU still delayed their uploads: with 50 agents syncing on 2 cores, the
photo PUT's p95 was ~500 ms with the worker at nice 10 or 19, ~380-450 ms with it at idle
priority (benchmarks/agent_sync.py, benchmarks/README.md). Under SCHED_IDLE the kernel runs
the work only when no other thread wants the core; it waits through a burst, not past it.

Only this one thread is lowered, not the worker: a round optimisation or an import the same
worker runs next keeps its priority (a dispatcher is watching its progress). The thread is
lowered once and for good, because an unprivileged thread may lower its policy but not raise
it back (sched(7), RLIMIT_NICE).

Off (the work runs in the caller's thread) with RONDE_BACKGROUND_IDLE_CPU=0, or where the OS
has no SCHED_IDLE. The test settings turn it off: their tasks run inline, in the web request.
"""

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from django.conf import settings

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def _lower_this_thread() -> None:
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except OSError as exc:  # a container's seccomp profile may refuse it: normal priority then
        logger.warning("Background CPU work runs at normal priority (SCHED_IDLE refused: %s)", exc)


def idle_cpu_available() -> bool:
    return bool(getattr(settings, "RONDE_BACKGROUND_IDLE_CPU", False)) and hasattr(os, "SCHED_IDLE")


def at_idle_priority(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """fn(*args, **kwargs) on the idle-priority thread; its result, or its exception.

    For pure CPU work: the thread has no database connection of its own to use, and the
    caller waits for it (its transaction, if any, stays open meanwhile).
    """
    if not idle_cpu_available():
        return fn(*args, **kwargs)
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                1, thread_name_prefix="ronde-idle-cpu", initializer=_lower_this_thread
            )
    return _executor.submit(fn, *args, **kwargs).result()
