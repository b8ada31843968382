"""Benchmarks: ``make bench`` prints numbers and writes bench/results.json."""
