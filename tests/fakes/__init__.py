"""Fake servers for tests and benchmarks (real sockets on loopback, scripted answers)."""
