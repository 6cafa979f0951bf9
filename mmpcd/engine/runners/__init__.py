"""Runners and what they need: tool arguments, checkpoint files, RNG states, the PCD teacher
checkpoint resolution."""

from .mmpcd_runner import MMPCDRunner, build_runner
from .teacher_resolution import resolve_teacher_checkpoint
from .tool_args import add_runner_args, add_trust_arg, apply_runner_args, check_checkpoint_exists

__all__ = [
    'MMPCDRunner',
    'build_runner',
    'resolve_teacher_checkpoint',
    'add_runner_args',
    'add_trust_arg',
    'apply_runner_args',
    'check_checkpoint_exists',
]
