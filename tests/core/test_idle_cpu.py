"""core/idle_cpu.py: CPU work handed to a thread at the OS's idle priority, the caller's own
thread left as it was (a worker's next task, a round optimisation, keeps its priority)."""

import os
import threading

import pytest

from core.idle_cpu import at_idle_priority

pytestmark = pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux scheduling policies")


def where() -> tuple[int, str]:
    return os.sched_getscheduler(0), threading.current_thread().name


def test_the_work_runs_on_an_idle_priority_thread_and_the_caller_keeps_its_own(settings):
    settings.RONDE_BACKGROUND_IDLE_CPU = True
    policy, thread = at_idle_priority(where)
    assert policy == os.SCHED_IDLE and thread.startswith("ronde-idle-cpu")
    assert os.sched_getscheduler(0) == os.SCHED_OTHER
    # Its errors reach the caller as raised.
    with pytest.raises(ValueError, match="damaged"):
        at_idle_priority(int, "damaged")
    assert at_idle_priority(sorted, [3, 1, 2], reverse=True) == [3, 2, 1]


def test_off_it_runs_in_the_callers_thread(settings):
    settings.RONDE_BACKGROUND_IDLE_CPU = False
    assert at_idle_priority(where) == (os.sched_getscheduler(0), threading.current_thread().name)
