"""Environment helpers."""
from .setup_env import register_all_modules
from .tool_args import add_runner_args, apply_runner_args, check_checkpoint_exists
from .version_check import check_dependency_versions

__all__ = [
    'register_all_modules', 'check_dependency_versions', 'add_runner_args',
    'apply_runner_args', 'check_checkpoint_exists'
]
