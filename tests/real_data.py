"""The real public files of ../shared/data/ (see its README), found from the repository or a
git worktree of it; a test that needs one is skipped, saying so, on a machine without them."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def real_file(relative: str) -> Path:
    candidates = [Path(os.environ["RONDE_REAL_DATA"])] if os.environ.get("RONDE_REAL_DATA") else []
    candidates += [ROOT.parent / "shared" / "data", ROOT.parent.parent / "shared" / "data"]
    for base in candidates:
        if (base / relative).is_file():
            return base / relative
    pytest.skip(f"real data file {relative} not found (set RONDE_REAL_DATA to ../shared/data)")
