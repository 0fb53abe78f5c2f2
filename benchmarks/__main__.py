"""`python -m benchmarks [NAME ...]`: run the benchmark modules (all of them by default).

A benchmark is a module benchmarks/<name>.py with a `run()` function that prints its figures.
Each line a benchmark prints with a verdict (`met`, `NOT met`, `OK`, `OVER TARGET`) is
repeated in a summary at the end, so a whole `make bench` says which targets hold.
"""

import importlib
import pkgutil
import re
import sys
import time
import traceback
from pathlib import Path
from types import ModuleType
from typing import TextIO, cast

NOT_BENCHMARKS = {"harness", "peak_rss", "__main__"}
VERDICT = re.compile(r"\b(?:NOT met|met|OVER TARGET)\b|→ OK\b")


class _Verdicts:
    """stdout, remembering the lines that carry a verdict (per benchmark)."""

    def __init__(self, stream: TextIO):
        self.stream, self.name, self._partial = stream, "", ""
        self.lines: list[tuple[str, str]] = []

    def write(self, text: str) -> int:
        self._partial += text
        *done, self._partial = self._partial.split("\n")
        self.lines += [(self.name, line.strip()) for line in done if VERDICT.search(line)]
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


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
    verdicts = _Verdicts(sys.stdout)
    sys.stdout = cast(TextIO, verdicts)
    for name in names:
        verdicts.name = name
        print(f"\n=== benchmark {name}", flush=True)
        started = time.monotonic()
        try:
            available[name].run()
        except Exception:
            traceback.print_exc()
            failed.append(name)
        print(f"=== {name}: {time.monotonic() - started:.0f} s", flush=True)
    sys.stdout = verdicts.stream
    if verdicts.lines:
        print("\n=== targets")
        for name, line in verdicts.lines:
            print(f"{name}: {line}")
    if failed:
        print(f"\nFailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
