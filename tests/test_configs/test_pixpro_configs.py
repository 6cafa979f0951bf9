"""Every PixPro / PixContrast config parses, builds its model and its pipeline, and the
recipe holds the official values (zdaxie/PixPro tools/pixpro_base_r50_{100,400}ep.sh)."""

import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmpcd.registry import MODELS, TRANSFORMS
from mmpcd.utils import register_all_modules
from tests.conftest import REPO_ROOT

register_all_modules(init_default_scope=False)

CONFIGS = sorted(
    glob.glob(osp.join(REPO_ROOT, 'configs', 'pixpro', '*.py'))
    + glob.glob(osp.join(REPO_ROOT, 'configs', 'pixcontrast', '*.py'))
)
RECIPE = osp.join(REPO_ROOT, 'configs', 'pixpro', 'pixpro_resnet50_8xb128-lars-coslr-100e_in1k.py')


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds_model_and_pipeline(path):
    cfg = Config.fromfile(path)
    with DefaultScope.overwrite_default_scope('mmpcd'):
        model = MODELS.build(cfg.model)
        for step in cfg.train_dataloader.dataset.pipeline:
            TRANSFORMS.build(step)
    assert type(model).__name__ == cfg.model.type
    assert cfg.default_scope == 'mmpcd'


def test_the_recipe_has_the_official_values():
    cfg = Config.fromfile(RECIPE)
    assert cfg.train_dataloader.batch_size * 8 == 1024
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.optimizer == dict(
        type='PixProLARS', lr=4.0, momentum=0.9, weight_decay=1e-5
    )
    warmup, cosine = cfg.param_scheduler
    assert (warmup.type, warmup.start_factor, warmup.end) == ('LinearLR', 0.01, 5)
    assert (cosine.type, cosine.eta_min, cosine.begin) == ('CosineAnnealingLR', 1e-6, 5)
    assert 'end' not in cosine  # it runs to max_epochs
    assert all(s.convert_to_iter_based for s in cfg.param_scheduler)  # per iteration
    assert cfg.train_cfg.max_epochs == 100
    model = cfg.model
    assert model.backbone.norm_cfg.type == 'SyncBN' and model.backbone.zero_init_residual
    assert (
        model.projector.in_channels,
        model.projector.hid_channels,
        model.projector.out_channels,
    ) == (2048, 4096, 256)
    assert model.projector.norm_cfg.type == 'SyncBN'
    assert (model.ppm.num_layers, model.ppm.gamma, model.ppm.clamp_min) == (1, 2.0, 0.0)
    assert model.head == dict(type='PixProHead', pos_ratio=0.7)
    assert model.base_momentum == 0.01  # official 0.99
    views = cfg.train_dataloader.dataset.pipeline[1].transforms
    for view, (blur, solarize) in zip(views, [(1.0, 0.0), (0.1, 0.2)]):
        crop = view[0]
        assert crop.crop_ratio_range == (0.08, 1.0) and crop.interpolation == 'bilinear'
        assert crop.scale == 224
        probs = {step.type: step.prob for step in view if 'prob' in step}
        assert probs['GaussianBlur'] == blur and probs['Solarize'] == solarize
        assert probs['RandomFlipWithCoord'] == 0.5 and probs['RandomGrayscale'] == 0.2


def test_the_400_epoch_recipe_only_lengthens_the_cosine():
    cfg = Config.fromfile(RECIPE.replace('100e', '400e'))
    assert cfg.train_cfg.max_epochs == 400
    assert cfg.param_scheduler == Config.fromfile(RECIPE).param_scheduler  # ends with training


def test_pixpros_linear_evaluation_has_its_official_schedule():
    cfg = Config.fromfile(
        osp.join(
            REPO_ROOT,
            'configs',
            'benchmarks',
            'mmpretrain',
            'resnet50_pixpro-linear_8xb32-coslr-100e_in1k.py',
        )
    )
    assert cfg.train_dataloader.batch_size * 8 == 256
    assert cfg.optim_wrapper.optimizer.lr == 30.0 and cfg.optim_wrapper.optimizer.weight_decay == 0
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    warmup, cosine = cfg.param_scheduler
    assert (warmup.start_factor, warmup.end, cosine.begin, cosine.eta_min) == (0.01, 5, 5, 1e-6)
    assert 'end' not in cosine and cfg.train_cfg.max_epochs == 100
    assert cfg.model.backbone.frozen_stages == -1  # official: BN in train mode, lr 0 (row 7)
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys.backbone == dict(lr_mult=0.0, decay_mult=0.0)
    assert cfg.model.backbone.init_cfg.prefix == 'backbone.'


def test_pixcontrast_recipe_contrasts_projections_through_its_head():
    cfg = Config.fromfile(
        osp.join(
            REPO_ROOT,
            'configs',
            'pixcontrast',
            'pixcontrast_resnet50_8xb128-lars-coslr-100e_in1k.py',
        )
    )
    assert cfg.model.type == 'PixContrast' and cfg.model.ppm is None
    # _delete_ in the config: no PixProHead argument survives the inheritance.
    assert cfg.model.head == dict(
        type='PixContrastHead', temperature=0.3, pos_ratio=0.7, neg_ratio=None
    )
