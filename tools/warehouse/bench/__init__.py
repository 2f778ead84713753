"""Benchmarks: scripts that print figures and ratios and write them as JSON under build/bench/.

Each benchmark is its own module (`python -m warehouse.bench.linter`, ...). They measure; they
never assert a time, so a slow machine gives slow figures, not failing tests.
"""
