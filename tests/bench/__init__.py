"""Load benchmark of live delivery: the harness, its client workers and a bare baseline server.

Run it with `python -m tests.bench.run` (see docs/benchmarks.md); nothing here is a test.
"""
