"""Log the optimizer's momentum and the momentum encoders' EMA momentum every iteration."""

from typing import Optional

import torch
from mmengine.hooks import Hook
from mmengine.model import ExponentialMovingAverage
from mmpretrain.utils import get_ori_model

from mmpcd.registry import HOOKS


def ema_momentum(ema: ExponentialMovingAverage) -> float:
    """The momentum ``m`` (mmengine convention, ``target = (1 - m) target + m online``) that
    ``ema``'s next update applies.

    Read from the module itself: its ``avg_func`` updates an average of 0 towards 1 at the
    module's current step, which leaves exactly ``m`` for any EMA (a constant one,
    ``CosineEMA`` annealed over the message hub's ``max_iters``, ``MomentumAnnealingEMA``),
    so no schedule is restated here.
    """
    average = torch.zeros((), dtype=torch.float64)
    ema.avg_func(average, torch.ones((), dtype=torch.float64), int(ema.steps))
    return float(average)


@HOOKS.register_module()
class MomentumLoggerHook(Hook):
    """Write ``train/momentum`` (the optimizer's, e.g. SGD/LARS 0.9) and, for models with a
    momentum encoder (an mmengine ``ExponentialMovingAverage``), ``train/ema_momentum`` to the
    message hub, so that they reach the logs and ``vis_data`` scalars next to ``lr``
    (mmengine's ``RuntimeInfoHook`` logs only the learning rate).
    """

    priority = 'BELOW_NORMAL'

    def __init__(self) -> None:
        self._ema: Optional[ExponentialMovingAverage] = None

    def before_train(self, runner) -> None:
        # Found once: walking every module each iteration would cost a Python loop per step.
        self._ema = next(
            (
                m
                for m in get_ori_model(runner.model).modules()
                if isinstance(m, ExponentialMovingAverage)
            ),
            None,
        )

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        hub = runner.message_hub
        momentum = runner.optim_wrapper.get_momentum()
        for name, values in momentum.items():
            hub.update_scalar(f'train/{name}', values[0])
        if self._ema is not None:
            hub.update_scalar('train/ema_momentum', ema_momentum(self._ema))
