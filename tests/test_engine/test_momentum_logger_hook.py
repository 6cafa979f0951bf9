"""MomentumLoggerHook: the optimizer's momentum and the EMA momentum reach the message hub."""

import math
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.model import ExponentialMovingAverage, MomentumAnnealingEMA
from mmengine.optim import OptimWrapper
from mmpretrain.models.utils import CosineEMA

from mmpcd.engine.hooks import MomentumLoggerHook
from mmpcd.engine.hooks.momentum_logger_hook import ema_momentum


@pytest.mark.parametrize('step,expected', [(0, 0.01), (50, 0.005), (100, 0.0)])
def test_cosine_ema_momentum_anneals_to_the_end_value(step, expected):
    # CosineEMA reads the run length from the current message hub, as in a runner.
    MessageHub.get_current_instance().update_info('max_iters', 100)
    ema = CosineEMA(torch.nn.Linear(2, 2), momentum=0.01, end_momentum=0.0)
    ema.steps.fill_(step)
    assert ema_momentum(ema) == pytest.approx(expected, abs=1e-12)
    assert ema_momentum(ExponentialMovingAverage(torch.nn.Linear(2, 2), 0.001)) == 0.001


def test_the_momentum_is_the_one_the_update_applies():
    """For an EMA whose schedule the hook knows nothing about: one update of a target 0
    towards an online 1 moves it by exactly the logged momentum."""
    online = torch.nn.Linear(1, 1, bias=False)
    ema = MomentumAnnealingEMA(online, momentum=0.001, gamma=10)
    ema.steps.fill_(5)
    logged = ema_momentum(ema)
    with torch.no_grad():
        ema.module.weight.zero_()
        online.weight.fill_(1.0)
    ema.update_parameters(online)
    assert logged == pytest.approx(10 / 15) and ema.module.weight.item() == pytest.approx(logged)


def test_the_hook_logs_both_momenta():
    model = torch.nn.Module()
    model.online = torch.nn.Linear(2, 2)
    model.target = CosineEMA(model.online, momentum=0.01)
    model.target.steps.fill_(25)
    hub = MessageHub.get_instance('momentum_hook_test')
    hub.update_info('max_iters', 100)
    runner = SimpleNamespace(
        message_hub=hub,
        model=model,
        optim_wrapper=OptimWrapper(
            torch.optim.SGD(model.online.parameters(), lr=0.1, momentum=0.9)
        ),
    )
    hook = MomentumLoggerHook()
    hook.before_train(runner)
    hook.before_train_iter(runner, 0)
    assert hub.get_scalar('train/momentum').current() == 0.9
    expected = 0.01 * (math.cos(math.pi * 25 / 100) + 1) / 2
    assert hub.get_scalar('train/ema_momentum').current() == pytest.approx(expected)
