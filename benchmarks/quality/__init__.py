"""The hard evaluation set's benchmark pieces (see benchmarks/bench_quality.py)."""
