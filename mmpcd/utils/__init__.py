"""Environment helpers."""
from .setup_env import register_all_modules
from .version_check import check_dependency_versions

__all__ = ['register_all_modules', 'check_dependency_versions']
