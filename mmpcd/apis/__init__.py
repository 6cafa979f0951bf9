"""High-level APIs (model zoo, inference)."""
