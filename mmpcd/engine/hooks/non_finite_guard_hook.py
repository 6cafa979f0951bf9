"""Stop training at the first non-finite loss or parameter, before anything poisoned is saved."""

import itertools
import math
import os.path as osp
from typing import Iterable, List, Mapping, Optional, Tuple

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch import Tensor

from mmpcd.registry import HOOKS


class NonFiniteError(FloatingPointError):
    """A loss, a parameter or a buffer is NaN or infinite."""


def _is_finite(value) -> bool:
    if isinstance(value, Tensor):
        return bool(torch.isfinite(value.detach()).all())
    return math.isfinite(float(value))


def non_finite_tensors(named: Iterable[Tuple[str, Tensor]]) -> List[str]:
    """Names of the floating-point tensors of ``named`` holding a NaN or an infinity."""
    tensors = [
        (name, t.detach())
        for name, t in named
        if isinstance(t, Tensor) and t.is_floating_point() and t.numel()
    ]
    if not tensors:
        return []
    # One reduction per tensor and a single sync; the exact check runs only on failure.
    norms = torch._foreach_norm([t.float() for _, t in tensors])
    if bool(torch.isfinite(torch.stack(norms)).all()):
        return []
    return [name for name, t in tensors if not bool(torch.isfinite(t).all())]


@HOOKS.register_module()
class NonFiniteGuardHook(Hook):
    """Stop training on the first non-finite loss or gradient; never save a poisoned model.

    After every training iteration the logged losses (``outputs``) and, every
    ``param_interval`` iterations, the parameters and floating-point buffers (BN statistics,
    queues) are checked (a non-finite gradient makes the parameters non-finite at the
    optimizer step; with ``AmpOptimWrapper`` such steps are skipped by the loss scaler and
    leave them finite, so AMP's scale search is not stopped).
    Before every checkpoint all floating-point tensors of the state dict (parameters and
    buffers such as queues) are checked too. A failure raises :class:`NonFiniteError` naming
    the iteration, the loss key or tensors and the last finite checkpoint; the checkpoint
    being saved is not written and ``last_checkpoint`` keeps pointing at the previous one.

    On by default (``default_hooks.non_finite_guard`` in ``configs/_base_/default_runtime.py``);
    ``default_hooks.non_finite_guard=None`` turns it off.

    Args:
        param_interval: Check the parameters and buffers every this many iterations (0:
            never, only at checkpoints). Defaults to 1.
    """

    # Before CheckpointHook (VERY_LOW) and LoggerHook (BELOW_NORMAL) in after_train_iter.
    priority = 'VERY_HIGH'

    def __init__(self, param_interval: int = 1) -> None:
        self.param_interval = param_interval

    def after_train_iter(
        self, runner, batch_idx: int, data_batch=None, outputs: Optional[Mapping] = None
    ) -> None:
        for key, value in (outputs or {}).items():
            if not _is_finite(value):
                self._stop(runner, f'the loss {key!r} is {float(torch.as_tensor(value).mean())}')
        if self.param_interval and self.every_n_train_iters(runner, self.param_interval):
            model = runner.model.module if is_model_wrapper(runner.model) else runner.model
            bad = non_finite_tensors(
                itertools.chain(model.named_parameters(), model.named_buffers())
            )
            if bad:
                self._stop(
                    runner,
                    f'the model tensors {_names(bad)} are not finite after the '
                    'step (a non-finite gradient or statistic)',
                )

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        bad = non_finite_tensors(checkpoint.get('state_dict', {}).items())
        if bad:
            self._stop(
                runner,
                f'the model tensors {_names(bad)} are not finite; the checkpoint was not written',
            )

    @staticmethod
    def _stop(runner, what: str) -> None:
        named = osp.join(runner.work_dir, 'last_checkpoint')
        last = None
        if osp.isfile(named):
            with open(named) as file:
                last = file.read().strip()
        resume = (
            f'the last finite checkpoint is {last} (continue with --resume {last})'
            if last
            else 'no checkpoint was written yet'
        )
        raise NonFiniteError(
            f'Training stopped at iteration {runner.iter + 1} (epoch {runner.epoch + 1}): '
            f'{what}. Nothing of this state was saved; {resume}. Lower the learning rate, clip '
            'gradients (optim_wrapper.clip_grad=dict(max_norm=...)) or check the data.'
        )


def _names(names: List[str], shown: int = 5) -> str:
    more = len(names) - shown
    return ', '.join(names[:shown]) + (f' ... ({more} more)' if more > 0 else '')
