"""Log the optimizer's momentum and the momentum encoders' EMA momentum every iteration."""
import math
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import ExponentialMovingAverage, is_model_wrapper
from mmpretrain.models.utils import CosineEMA

from mmpcd.registry import HOOKS


def ema_momentum(ema: ExponentialMovingAverage, max_iters: Optional[int]) -> float:
    """The momentum ``m`` (mmengine convention, ``target = (1 - m) target + m online``) that
    ``ema``'s next update uses; ``CosineEMA`` anneals it over ``max_iters``."""
    if isinstance(ema, CosineEMA) and max_iters:
        cosine = (math.cos(math.pi * int(ema.steps) / float(max_iters)) + 1) / 2
        return ema.end_momentum - (ema.end_momentum - ema.momentum) * cosine
    return ema.momentum


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
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        self._ema = next(
            (m for m in model.modules() if isinstance(m, ExponentialMovingAverage)), None)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        hub = runner.message_hub
        momentum = runner.optim_wrapper.get_momentum()
        for name, values in momentum.items():
            hub.update_scalar(f'train/{name}', values[0])
        if self._ema is not None:
            hub.update_scalar('train/ema_momentum',
                              ema_momentum(self._ema, hub.get_info('max_iters')))
