"""Measuring workloads on test benches (needs the `[measure]` extra for anything but --help)."""
