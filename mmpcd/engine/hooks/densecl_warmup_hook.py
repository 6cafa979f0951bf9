"""DenseCL's lambda warm-up: the dense loss is off for the first iterations."""
from typing import Optional, Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch import nn

from mmpcd.registry import HOOKS


def _unwrap(model: nn.Module) -> nn.Module:
    """The algorithm inside a DDP-style wrapper, or the model itself."""
    return model.module if is_model_wrapper(model) else model


@HOOKS.register_module()
class DenseCLWarmupHook(Hook):
    """Set ``model.loss_lambda = 0`` before iterations ``< start_iters``, then restore it.

    Early correspondences come from random features and are noise, so training on the
    global loss alone first bootstraps the matching (the official ``DenseCLWarmupHook``).
    The configured lambda is read from the model when training starts.

    Args:
        start_iters: Number of iterations (counted from 0, resumed runs included) that
            train with ``loss_lambda = 0``. Defaults to 1000.
    """

    def __init__(self, start_iters: int = 1000) -> None:
        if start_iters < 0:
            raise ValueError(f'start_iters must be >= 0, got {start_iters}.')
        self.start_iters = start_iters
        self.loss_lambda: Optional[float] = None

    def before_train(self, runner) -> None:
        """Remember the configured ``loss_lambda``."""
        model = _unwrap(runner.model)
        if not hasattr(model, 'loss_lambda'):
            raise AttributeError(f'DenseCLWarmupHook needs a model with `loss_lambda` '
                                 f'(e.g. DenseCL), got {type(model).__name__}.')
        self.loss_lambda = model.loss_lambda

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[Sequence[dict]] = None) -> None:
        """Zero ``loss_lambda`` during the warm-up, the configured value afterwards."""
        in_warmup = runner.iter < self.start_iters
        _unwrap(runner.model).loss_lambda = 0.0 if in_warmup else self.loss_lambda
