"""Timing scripts for the app (not tests): `python -m benchmarks`; see benchmarks/README.md."""
