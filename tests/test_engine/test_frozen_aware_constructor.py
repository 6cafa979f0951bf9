"""FrozenAwareOptimWrapperConstructor: mmengine's parameter groups, one line for frozen ones."""

import logging

import torch.nn as nn
from mmengine.logging import MMLogger
from mmengine.optim import DefaultOptimWrapperConstructor

from mmpcd.engine.optimizers import FrozenAwareOptimWrapperConstructor

CFG = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1, weight_decay=1e-4))
PARAMWISE = dict(custom_keys={'bias': dict(decay_mult=0)})


def _model() -> nn.Module:
    model = nn.Module()
    model.online = nn.Linear(4, 4)
    model.target = nn.Linear(4, 4).requires_grad_(False)
    return model


class _Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_groups_equal_mmengines_and_frozen_parameters_are_summarised_once():
    logger = MMLogger.get_instance('frozen_aware_test')
    records = _Records()
    logger.addHandler(records)
    model = _model()
    ours = FrozenAwareOptimWrapperConstructor(CFG, PARAMWISE)(model).optimizer
    assert [m for m in records.messages if 'requires_grad=False' in m] == [
        '2 parameters with requires_grad=False (momentum encoders, teachers) are not optimised.'
    ]
    reference = DefaultOptimWrapperConstructor(CFG, PARAMWISE)(model).optimizer
    # mmengine's own constructor warns once per frozen parameter.
    assert sum('is skipped since its requires_grad=False' in m for m in records.messages) == 2
    summary = [
        [(tuple(p.shape), g['weight_decay']) for p in g['params']] for g in ours.param_groups
    ]
    assert summary == [
        [(tuple(p.shape), g['weight_decay']) for p in g['params']] for g in reference.param_groups
    ]
    assert all(p.requires_grad for g in ours.param_groups for p in g['params'])
    logger.removeHandler(records)


def test_paramwise_options_are_one_line_instead_of_one_per_parameter():
    logger = MMLogger.get_instance('paramwise_summary_test')
    records = _Records()
    logger.addHandler(records)
    model = _model()
    model.more = nn.Linear(4, 4)
    FrozenAwareOptimWrapperConstructor(CFG, PARAMWISE)(model)
    ours = list(records.messages)
    DefaultOptimWrapperConstructor(CFG, PARAMWISE)(model)
    theirs = records.messages[len(ours) :]
    logger.removeHandler(records)
    # mmengine: one line per trained bias (and option); ours: one summary.
    assert sum(m.startswith('paramwise_options --') for m in theirs) >= 2
    assert not any(m.startswith('paramwise_options --') for m in ours)
    summary = [m for m in ours if m.startswith('paramwise_cfg: ')]
    assert len(summary) == 1 and summary[0].startswith('paramwise_cfg: 2 parameters have')
    assert 'decay_mult=0' in summary[0]
