"""Data transforms that keep track of geometry."""
