"""Benchmarks: not timed tests; each writes its results under bench/results/."""
