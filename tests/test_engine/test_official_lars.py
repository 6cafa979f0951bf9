"""PixProLARS and PCDLARS follow the official update rules step for step.

The oracles below are transcriptions of the official optimizers, written for these tests:
zdaxie/PixPro@e390d6b ``contrast/lars.py`` (``add_weight_decay`` :7-31, ``LARS`` :109-152
around ``torch.optim.SGD`` as ``main_pretrain.py:39-45`` builds it) and allo-rene/pcd@6b0ad4d
``pcd/optimizer.py`` (``LARS.step`` :46-97, ``split_params`` :100-114). Both run several steps
with a learning rate that changes every step (as under warm-up and cosine), where the official
rules and mmpretrain's ``LARS`` part ways.
"""

import copy

import pytest
import torch
import torch.nn as nn
from mmengine.optim import build_optim_wrapper
from mmpretrain.engine.optimizers import LARS

from mmpcd.engine.optimizers import PCDLARS, PixProLARS
from mmpcd.utils import register_all_modules

LRS = (0.5, 1.0, 2.0, 1.5, 0.25, 0.8)
WD = 1e-2  # large enough for the weight decay terms to show in a few steps


class PixProOracle:
    """``add_weight_decay`` splits 1-D parameters off (wd 0, ignore=True); ``LARS`` adds wd to
    the gradient, scales it by ``trust_coef * |w| / (|g| + eps)`` for the other group, then
    runs SGD (momentum 0.9) with its weight decay zeroed."""

    def __init__(self, model: nn.Module, lr: float, wd: float, eps=1e-8, trust_coef=1e-3):
        decay, no_decay = [], []
        for param in model.parameters():
            (no_decay if param.dim() == 1 else decay).append(param)
        self.sgd = torch.optim.SGD(
            [
                dict(params=no_decay, weight_decay=0, ignore=True),
                dict(params=decay, weight_decay=wd, ignore=False),
            ],
            lr=lr,
            momentum=0.9,
        )
        self.eps, self.trust_coef = eps, trust_coef

    @torch.no_grad()
    def step(self):
        for group in self.sgd.param_groups:
            for p in group['params']:
                if p.grad is None:
                    continue
                if group['weight_decay'] > 0:
                    p.grad = p.grad.add(p, alpha=group['weight_decay'])
                if not group['ignore']:
                    param_norm, grad_norm = p.norm(), p.grad.norm()
                    adaptive_lr = 1.0
                    if param_norm > 0 and grad_norm > 0:
                        adaptive_lr = self.trust_coef * param_norm / (grad_norm + self.eps)
                    p.grad = p.grad.mul(adaptive_lr)
        saved = [group['weight_decay'] for group in self.sgd.param_groups]
        for group in self.sgd.param_groups:
            group['weight_decay'] = 0
        self.sgd.step()
        for group, wd in zip(self.sgd.param_groups, saved):
            group['weight_decay'] = wd


class PCDOracle:
    """``split_params``: BN weights/biases and all biases in a non-LARS group; ``step``:
    trust from the raw gradient, ``d = g + wd * w``, the buffer created as ``d`` *and* then
    accumulated (``(1 + m) d`` on the first step), ``w -= trust * lr * buf``. The non-LARS
    group's weight decay is 0 here (the released trainer passes None, which crashes)."""

    def __init__(self, model: nn.Module, lr: float, wd: float, eta=1e-3, momentum=0.9):
        lars, other = [], []
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                other += [m.weight, m.bias]
            elif isinstance(m, (nn.Linear, nn.Conv2d)):
                lars.append(m.weight)
                if m.bias is not None:
                    other.append(m.bias)
        self.groups = [
            dict(params=lars, lars=True, weight_decay=wd),
            dict(params=other, lars=False, weight_decay=0),
        ]
        self.lr, self.eta, self.momentum, self.state = lr, eta, momentum, {}

    @torch.no_grad()
    def step(self):
        for group in self.groups:
            wd = group['weight_decay']
            for p in group['params']:
                if p.grad is None:
                    continue
                local_lr = 1.0
                if group['lars']:
                    w_norm, g_norm = torch.norm(p.data), torch.norm(p.grad.data)
                    if w_norm * g_norm > 0:
                        local_lr = self.eta * w_norm / (g_norm + wd * w_norm)
                d_p = p.grad.data
                if wd != 0:
                    d_p.add_(p.data, alpha=wd)
                if id(p) not in self.state:
                    self.state[id(p)] = torch.clone(d_p).detach()
                buf = self.state[id(p)]
                buf.mul_(self.momentum).add_(d_p)
                p.data.add_(buf, alpha=-local_lr * self.lr)


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Conv2d(8, 4, 1, bias=False),
        nn.Flatten(),
        nn.Linear(4 * 6 * 6, 5),
    )


def _loss(model: nn.Module, step: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(step)
    x = torch.randn(4, 3, 8, 8, generator=generator)
    return (model(x) - torch.randn(4, 5, generator=generator)).pow(2).mean()


def _train(model: nn.Module, optimizer, set_lr) -> nn.Module:
    for step, lr in enumerate(LRS):
        set_lr(lr)
        for p in model.parameters():
            p.grad = None
        _loss(model, step).backward()
        optimizer.step()
    return model


def _set_group_lr(optimizer):
    def set_lr(lr):
        for group in optimizer.param_groups:
            group['lr'] = lr

    return set_lr


def _ours(model: nn.Module, optimizer_type: str) -> torch.optim.Optimizer:
    """Built from a config through mmengine's constructor, as a training run builds it."""
    register_all_modules(init_default_scope=False)
    cfg = dict(
        type='OptimWrapper',
        optimizer=dict(type=optimizer_type, lr=LRS[0], momentum=0.9, weight_decay=WD),
    )
    from mmengine.registry import DefaultScope

    with DefaultScope.overwrite_default_scope('mmpcd'):
        return build_optim_wrapper(model, cfg).optimizer


def _max_difference(a: nn.Module, b: nn.Module) -> float:
    return max((pa - pb).abs().max().item() for pa, pb in zip(a.parameters(), b.parameters()))


@pytest.mark.parametrize(
    'optimizer_type, oracle', [('PixProLARS', PixProOracle), ('PCDLARS', PCDOracle)]
)
def test_matches_the_official_update_over_several_steps(optimizer_type, oracle):
    reference = _model()
    official = oracle(reference, LRS[0], WD)
    groups = official.sgd if oracle is PixProOracle else official
    set_reference_lr = (
        _set_group_lr(groups)
        if oracle is PixProOracle
        else (lambda lr: setattr(official, 'lr', lr))
    )
    _train(reference, official, set_reference_lr)

    model = _model()
    optimizer = _ours(model, optimizer_type)
    assert type(optimizer).__name__ == optimizer_type
    _train(model, optimizer, _set_group_lr(optimizer))
    assert _max_difference(model, _model()) > 1e-3  # the steps moved the weights
    assert _max_difference(model, reference) < 1e-6


@pytest.mark.parametrize(
    'optimizer_type, oracle', [('PixProLARS', PixProOracle), ('PCDLARS', PCDOracle)]
)
def test_mmpretrains_lars_is_a_different_rule(optimizer_type, oracle):
    """Why the two optimizers exist: mmpretrain's LARS lands elsewhere on the same run."""
    reference = _model()
    official = oracle(reference, LRS[0], WD)
    set_lr = (
        _set_group_lr(official.sgd)
        if oracle is PixProOracle
        else (lambda lr: setattr(official, 'lr', lr))
    )
    _train(reference, official, set_lr)
    model = _model()
    mmpretrain = LARS(
        [
            dict(params=[p], lars_exclude=p.dim() == 1, weight_decay=0.0 if p.dim() == 1 else WD)
            for p in model.parameters()
        ],
        lr=LRS[0],
        momentum=0.9,
    )
    _train(model, mmpretrain, _set_group_lr(mmpretrain))
    assert _max_difference(model, reference) > 1e-4


@pytest.mark.parametrize('optimizer_cls', [PixProLARS, PCDLARS])
def test_one_dimensional_and_excluded_parameters_take_a_plain_momentum_step(optimizer_cls):
    weight = nn.Parameter(torch.full((3, 3), 2.0))
    norm_weight = nn.Parameter(torch.ones(3))
    named = nn.Parameter(torch.full((2, 2), 3.0))
    optimizer = optimizer_cls(
        [
            dict(params=[weight, norm_weight]),
            dict(params=[named], lars_exclude=True, weight_decay=0.0),
        ],
        lr=0.1,
        momentum=0.9,
        weight_decay=0.5,
    )
    for p in (weight, norm_weight, named):
        p.grad = torch.ones_like(p)
    optimizer.step()
    first_step = 1.9 if optimizer_cls is PCDLARS else 1.0  # PCD's buffer starts at (1 + m) d
    # 1-D: no weight decay, no trust ratio; the named group: no trust ratio.
    torch.testing.assert_close(norm_weight.detach(), torch.full((3,), 1 - 0.1 * first_step))
    torch.testing.assert_close(named.detach(), torch.full((2, 2), 3 - 0.1 * first_step))
    assert (2 - weight.detach()).abs().max() < 1e-3  # LARS-scaled: a tiny step


def test_negative_hyper_parameters_are_rejected_by_name():
    with pytest.raises(ValueError, match='weight_decay must be >= 0'):
        PixProLARS([nn.Parameter(torch.ones(2))], lr=1.0, weight_decay=-1.0)


def test_state_dict_round_trip_resumes_the_buffers():
    model = _model()
    optimizer = PCDLARS(model.parameters(), lr=0.5, momentum=0.9, weight_decay=WD)
    _loss(model, 0).backward()
    optimizer.step()
    resumed = PCDLARS(copy.deepcopy(model).parameters(), lr=0.5, momentum=0.9, weight_decay=WD)
    resumed.load_state_dict(optimizer.state_dict())
    buffers = [s['momentum_buffer'] for s in resumed.state.values()]
    assert len(buffers) == len(list(model.parameters()))


def test_pixpro_recipe_leaves_every_1d_parameter_out_of_decay_and_lars():
    """Row 4 of issue 16: with a 2-layer PPM transform its BN (``ppm.value_transform.1``)
    matched no exclusion key of the old schedule; the official rule excludes it by shape."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from mmpcd.registry import MODELS
    from tests.conftest import REPO_ROOT

    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(f'{REPO_ROOT}/configs/pixpro/pixpro_resnet18_1xb16-lars-coslr-2e_demo.py')
    cfg.model.ppm.num_layers = 2
    with DefaultScope.overwrite_default_scope('mmpcd'):
        model = MODELS.build(cfg.model)
        optimizer = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    assert isinstance(optimizer, PixProLARS)
    names = {id(p): n for n, p in model.named_parameters()}
    excluded = {
        names[id(p)]
        for g in optimizer.param_groups
        for p in g['params']
        if p.requires_grad and optimizer.is_excluded(g, p) and optimizer.weight_decay_of(g, p) == 0
    }
    one_d = {n for n, p in model.named_parameters() if p.requires_grad and p.dim() == 1}
    assert {'ppm.value_transform.1.weight', 'ppm.value_transform.1.bias'} <= one_d
    assert excluded == one_d
