"""Benchmarks: Ramify measured side by side with its anchors; never asserted by tests."""
