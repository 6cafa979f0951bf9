"""Checkpoints written before keep loading: every algorithm's demo model has the state-dict
keys and shapes recorded before the heads and per-level necks were introduced.

``tests/data/state_dict_keys.json`` was written by the code of main at a3e200c (the last
commit before the change): for each config, the number of keys and every key outside the
backbones (mmpretrain's ResNet, whose keys are not mmpcd's) with its shape.
"""

import json
import os.path as osp
import re

import pytest
from mmengine.config import Config

from mmpcd.registry import MODELS
from mmpcd.utils import register_all_modules
from tests.conftest import REPO_ROOT

register_all_modules(init_default_scope=False)
pytestmark = pytest.mark.usefixtures('mmpcd_scope')

with open(osp.join(REPO_ROOT, 'tests', 'data', 'state_dict_keys.json')) as file:
    RECORDED = json.load(file)
BACKBONE = re.compile(
    r'^(backbone|target_net\.module\.backbone|encoder_k\.module\.0|'
    r'teacher\.backbone)\.'
)


@pytest.mark.parametrize('config', sorted(RECORDED), ids=osp.basename)
def test_state_dict_keys_and_shapes_are_those_of_before(config):
    cfg = Config.fromfile(osp.join(REPO_ROOT, config))
    if 'teacher' in cfg.model and not cfg.model.teacher.get('checkpoint'):
        cfg.model.teacher.checkpoint = 'random'  # the PCD demo names none (read lazily anyway)
    model = MODELS.build(cfg.model)
    state = model.state_dict()
    ours = {key: list(value.shape) for key, value in state.items() if not BACKBONE.match(key)}
    assert ours == RECORDED[config]['keys']
    assert len(state) == RECORDED[config]['num_keys']
