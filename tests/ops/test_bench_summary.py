"""`python -m benchmarks` repeats every verdict line in a summary at the end (issue 23 item 5)."""

from types import SimpleNamespace

from benchmarks import __main__ as bench


def test_the_summary_lists_each_target_with_its_verdict(monkeypatch, capsys):
    def fast() -> None:
        print("50 jobs ≤ 3 s: met (1.2 s)\nsome figure: 12 ms")
        print("Target: a city in ≤ 10 s → OK (best 8.0 s)")

    def slow() -> None:
        print("900 jobs ≤ 10 s: NOT met (12.0 s)")

    fakes = {"fast": SimpleNamespace(run=fast), "slow": SimpleNamespace(run=slow)}
    monkeypatch.setattr(bench, "discover", lambda: fakes)
    assert bench.main([]) == 0
    out = capsys.readouterr().out
    summary = out.split("=== targets\n", 1)[1].splitlines()
    assert summary == [
        "fast: 50 jobs ≤ 3 s: met (1.2 s)",
        "fast: Target: a city in ≤ 10 s → OK (best 8.0 s)",
        "slow: 900 jobs ≤ 10 s: NOT met (12.0 s)",
    ]
