"""`python -m benchmarks [NAME ...]`: run the benchmark modules (all of them by default).

A benchmark is a module benchmarks/<name>.py with a `run()` function that prints its figures.
"""

import importlib
import pkgutil
import sys
import time
import traceback
from pathlib import Path
from types import ModuleType

NOT_BENCHMARKS = {"harness", "__main__"}


def discover() -> dict[str, ModuleType]:
    found: dict[str, ModuleType] = {}
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda i: i.name):
        if info.name in NOT_BENCHMARKS or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"benchmarks.{info.name}")
        if callable(getattr(module, "run", None)):
            found[info.name] = module
    return found


def main(argv: list[str]) -> int:
    available = discover()
    names = argv or list(available)
    unknown = [n for n in names if n not in available]
    if unknown:
        print(f"Unknown benchmark(s): {', '.join(unknown)}. Available: {', '.join(available)}.")
        return 2
    failed = []
    for name in names:
        print(f"\n=== benchmark {name}", flush=True)
        started = time.monotonic()
        try:
            available[name].run()
        except Exception:
            traceback.print_exc()
            failed.append(name)
        print(f"=== {name}: {time.monotonic() - started:.0f} s", flush=True)
    if failed:
        print(f"\nFailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
