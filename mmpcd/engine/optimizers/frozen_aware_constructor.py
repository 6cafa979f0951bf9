"""An optimizer-wrapper constructor that reports frozen parameters once, not one by one."""
import logging

import torch.nn as nn
from mmengine.logging import MMLogger, print_log
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper

from mmpcd.registry import OPTIM_WRAPPER_CONSTRUCTORS

_FROZEN_MESSAGE = 'is skipped since its requires_grad=False'


class _DropFrozenWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return _FROZEN_MESSAGE not in record.getMessage()


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class FrozenAwareOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's ``DefaultOptimWrapperConstructor`` (same parameter groups, ``paramwise_cfg``
    included), with one summary line for the parameters that are not optimised.

    Momentum encoders (DenseCL, PixPro) and frozen teachers (PCD) hold as many parameters as
    the trained network; with a ``paramwise_cfg`` the default constructor logs a warning for
    each of them (hundreds per run), which buries the useful part of the log.
    """

    def __call__(self, model: nn.Module) -> OptimWrapper:
        frozen = sum(1 for p in model.parameters() if not p.requires_grad)
        log_filter = _DropFrozenWarnings()
        logger = MMLogger.get_current_instance()
        logger.addFilter(log_filter)
        try:
            optim_wrapper = super().__call__(model)
        finally:
            logger.removeFilter(log_filter)
        if frozen:
            print_log(f'{frozen} parameters with requires_grad=False (momentum encoders, '
                      'teachers) are not optimised.', logger='current')
        return optim_wrapper
