"""Building the model of every config of configs/ opens no connection: checkpoints (teachers,
``Pretrained`` backbones) are read when training starts. MasKD's configs are checked in
tests/test_projects/test_maskd/test_configs.py."""

import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from tests.conftest import REPO_ROOT

# The official MoCo v3 teacher (a URL: fetched at the start of training, not here).
MOCOV3_R50 = 'https://dl.fbaipublicfiles.com/moco-v3/r-50-100ep/r-50-100ep.pth.tar'
CONFIGS = sorted(
    osp.relpath(p, REPO_ROOT)
    for p in glob.glob(osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
    if '/_base_/' not in p
)


@pytest.mark.parametrize('config', CONFIGS, ids=[osp.basename(c) for c in CONFIGS])
def test_building_the_model_makes_no_network_access(config, no_network, tmp_path, monkeypatch):
    from mmpcd.registry import MODELS
    from mmpcd.utils import register_all_modules

    monkeypatch.setenv('MMPCD_CACHE_DIR', str(tmp_path))
    register_all_modules(init_default_scope=False)
    from mmpcd.engine.runners.teacher_resolution import resolve_teacher_checkpoint

    cfg = Config.fromfile(osp.join(REPO_ROOT, config))
    if 'teacher_checkpoint' in cfg and cfg.teacher_checkpoint is None:  # PCD: the user's
        cfg.teacher_checkpoint = MOCOV3_R50
    cfg = resolve_teacher_checkpoint(cfg)  # as MMPCDRunner: into model.teacher
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmpcd')):
        model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0
    assert no_network == []
