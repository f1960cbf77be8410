"""Helpers of benchmarks/drill_bench.py: each module measures one thing; the script prints and judges."""
