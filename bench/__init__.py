"""Benchmarks that run the real bot against the fakes in tests/ (run from the repo root)."""
