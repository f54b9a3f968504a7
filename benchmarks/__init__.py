"""Experiment scripts (not installed): probes and method variants outside the library."""
