"""Benchmarks: whole-process timings of the nightly run at a given scale."""
