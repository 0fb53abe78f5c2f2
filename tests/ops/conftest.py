"""hypothesis (the fuzz tests, schemathesis) keeps its files under var/, not in the work tree."""

from pathlib import Path

from hypothesis.configuration import set_hypothesis_home_dir

set_hypothesis_home_dir(Path(__file__).resolve().parents[2] / "var" / "hypothesis")
