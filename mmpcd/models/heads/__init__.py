"""Heads that turn features into losses."""
