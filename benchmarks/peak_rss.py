"""A Python command run as a child, and its own peak RSS.

Not os.wait4's ru_maxrss: Linux carries the parent's resident size across the child's exec
into that figure, so inside `make bench`, whose process holds ~1 GB by the time it reaches the
street import, every command (a bare `manage.py shell` too) read 1,013 MB. The child here
writes its own high-water mark (VmHWM: the program's, from its exec) as its interpreter exits.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

# Runs a Python script (or -c code) as `python` would, then writes the process's VmHWM (kB) to
# the file named by RONDE_BENCH_PEAK_FILE as the interpreter exits (sys.exit included).
WRAPPER = """
import atexit, os, runpy, sys
def _peak():
    with open("/proc/self/status") as status, open(os.environ["RONDE_BENCH_PEAK_FILE"], "w") as out:
        out.write(next(line for line in status if line.startswith("VmHWM:")).split()[1])
atexit.register(_peak)
if sys.argv[1] == "-c":
    code, sys.argv = sys.argv[2], ["-c", *sys.argv[3:]]
    exec(compile(code, "<string>", "exec"), {"__name__": "__main__"})
else:
    sys.argv = sys.argv[1:]
    runpy.run_path(sys.argv[0], run_name="__main__")
"""


def run_python(args: list[str], *, env: dict[str, str], cwd: Path, **popen: Any) -> tuple[int, Any, float]:
    """`python *args` to its end → (exit code, its os.wait4 rusage for the CPU, peak RSS MB)."""
    with tempfile.NamedTemporaryFile("r") as peak:
        process = subprocess.Popen(
            [sys.executable, "-c", WRAPPER, *args],
            env={**env, "RONDE_BENCH_PEAK_FILE": peak.name},
            cwd=cwd,
            **popen,
        )
        _pid, status, usage = os.wait4(process.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        written = peak.read()
    if not written and code == 0:  # os._exit skips atexit: no figure rather than a false 0 MB
        raise RuntimeError(f"python {' '.join(args[:2])} exited without writing its peak RSS")
    return code, usage, int(written) / 1024 if written else 0.0
