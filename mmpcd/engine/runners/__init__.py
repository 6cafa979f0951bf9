"""Runners and what they need: tool arguments, checkpoint files, RNG states, the PCD teacher
checkpoint resolution, ``--cfg-options`` that replace a type."""

from .mmpcd_runner import MMPCDRunner, build_runner
from .retyped_options import drop_keys_the_type_lacks, merge_cfg_options
from .teacher_resolution import resolve_teacher_checkpoint
from .tool_args import (
    add_runner_args,
    add_trust_arg,
    apply_runner_args,
    check_amp_device,
    check_checkpoint_exists,
    check_schedules_fit_training,
)

__all__ = [
    'MMPCDRunner',
    'build_runner',
    'resolve_teacher_checkpoint',
    'add_runner_args',
    'add_trust_arg',
    'apply_runner_args',
    'check_amp_device',
    'check_checkpoint_exists',
    'check_schedules_fit_training',
    'drop_keys_the_type_lacks',
    'merge_cfg_options',
]
