"""`python -m warehouse.bench` (what `make bench` runs) knows every benchmark and refuses others."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from warehouse.bench.__main__ import BENCHMARKS, main

ROOT = Path(__file__).resolve().parents[3]


def test_every_benchmark_module_has_a_main():
    from importlib import import_module

    for module, _ in BENCHMARKS.values():
        assert callable(import_module(module).main), module


def test_an_unknown_benchmark_is_refused_with_the_list(capsys):
    assert main(["nope"]) == 2
    err = capsys.readouterr().err
    assert all(name in err for name in BENCHMARKS)


def test_make_bench_calls_the_dispatcher():
    makefile = (ROOT / "Makefile").read_text()
    assert "-m warehouse.bench $(BENCH)" in makefile
    completed = subprocess.run([sys.executable, "-m", "warehouse.bench"], cwd=ROOT, capture_output=True, text=True)
    assert completed.returncode == 2 and "linter" in completed.stderr
