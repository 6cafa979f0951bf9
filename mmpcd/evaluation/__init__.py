"""Metrics and evaluators (dense probes)."""
