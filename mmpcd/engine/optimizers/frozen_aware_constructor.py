"""An optimizer-wrapper constructor that reports frozen parameters and ``paramwise_cfg``
options once, not one by one."""

import logging
import re
from typing import Set

import torch.nn as nn
from mmengine.logging import MMLogger, print_log
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper

from mmpcd.registry import OPTIM_WRAPPER_CONSTRUCTORS

_FROZEN_MESSAGE = 'is skipped since its requires_grad=False'
# mmengine logs `paramwise_options -- <parameter>:<key>=<value>` for every option of every
# parameter (176-420 lines per run).
_PARAMWISE_LINE = re.compile(r'^paramwise_options -- (\S+):(\w+)=(.*)$')


class _SummariseParamLines(logging.Filter):
    """Drops the per-parameter lines, remembering what they said."""

    def __init__(self) -> None:
        super().__init__()
        self.parameters: Set[str] = set()
        self.options: Set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _FROZEN_MESSAGE in message:
            return False
        match = _PARAMWISE_LINE.match(message)
        if match:
            self.parameters.add(match.group(1))
            self.options.add(f'{match.group(2)}={match.group(3)}')
            return False
        return True


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class FrozenAwareOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's ``DefaultOptimWrapperConstructor`` (same parameter groups, ``paramwise_cfg``
    included), with one summary line for the parameters that are not optimised and one for
    the ``paramwise_cfg`` options, instead of a line per parameter.

    Momentum encoders (DenseCL, PixPro) and frozen teachers (PCD) hold as many parameters as
    the trained network; with a ``paramwise_cfg`` the default constructor logs a warning for
    each of them (hundreds per run), which buries the useful part of the log.
    """

    def __call__(self, model: nn.Module) -> OptimWrapper:
        frozen = sum(1 for p in model.parameters() if not p.requires_grad)
        log_filter = _SummariseParamLines()
        logger = MMLogger.get_current_instance()
        logger.addFilter(log_filter)
        try:
            optim_wrapper = super().__call__(model)
        finally:
            logger.removeFilter(log_filter)
        if log_filter.parameters:
            print_log(
                f'paramwise_cfg: {len(log_filter.parameters)} parameters have custom '
                f'options ({", ".join(sorted(log_filter.options))}).',
                logger='current',
            )
        if frozen:
            print_log(
                f'{frozen} parameters with requires_grad=False (momentum encoders, '
                'teachers) are not optimised.',
                logger='current',
            )
        return optim_wrapper
