"""Benchmarks: a data generator and timed scenarios, run by hand (see bench/README.md), never by the
test suite."""
