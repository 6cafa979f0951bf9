"""The full MasKD configs: official settings, resolvable teachers, and they build."""

import glob
import os.path as osp

import pytest
import torch
from mmengine.registry import DefaultScope

from mmpcd.hub import CheckpointError
from projects.maskd.maskd import MaskModule, save_tokens

from .helpers import REPO_ROOT, build, load_config

CONFIGS = osp.join(REPO_ROOT, 'projects', 'maskd', 'configs')
# Stage 2: (MasKD loss weight, customised-mask warm-up, extra loss names, inherited modules),
# from the official mmrazor 0.x configs (segmentation: the CIRKD-based code).
OFFICIAL = {
    'maskd_fpn_faster-rcnn_r101_faster-rcnn_r50_8xb2-2x_coco.py': (1, 7330, {'roi'}, ()),
    'maskd_fpn_cascade-mask-rcnn_x101_faster-rcnn_r50_8xb2-2x_coco.py': (1, 5000, {'roi'}, ()),
    'maskd_fpn_retinanet_r101_retinanet_r50_8xb2-2x_coco.py': (
        7,
        7000,
        {'loss_head_reg_kd'},
        ('neck', 'bbox_head'),
    ),
    'maskd_fpn_retinanet_x101_retinanet_r50_8xb2-2x_coco.py': (
        7,
        8500,
        {'loss_head_reg_kd'},
        ('neck', 'bbox_head'),
    ),
    'maskd_fpn_fcos_r101_fcos_r50_8xb2-2x_coco.py': (10, 5000, set(), ()),
    'maskd_fpn_reppoints_x101_reppoints_r50_8xb2-2x_coco.py': (
        10,
        5000,
        {'loss_pts_refine_kd', 'loss_pts_init_kd'},
        (),
    ),
    'maskd_logits_deeplabv3_r101_deeplabv3_r18_8xb2-40k_cityscapes-512x1024.py': (
        0.5,
        None,
        set(),
        (),
    ),
    'maskd_logits_deeplabv3_r101_pspnet_r18_8xb2-40k_cityscapes-512x1024.py': (
        0.5,
        None,
        set(),
        (),
    ),
    'maskd_logits_deeplabv3_r101_deeplabv3_mobilenetv2_8xb2-40k_cityscapes-512x1024.py': (
        0.5,
        None,
        set(),
        (),
    ),
}
# Segmentation distillation points: decode head (1) and auxiliary head (0.4); the official
# code has no auxiliary head on MobileNet students (train_maskd.py:120-123).
SEG_POINT_WEIGHTS = {'mobilenetv2': [1.0]}
STAGE1 = sorted(osp.basename(p) for p in glob.glob(osp.join(CONFIGS, 'maskd-tokens_*.py')))


@pytest.fixture(scope='module')
def token_files(tmp_path_factory):
    root = tmp_path_factory.mktemp('tokens')
    det, seg = str(root / 'det.pth'), str(root / 'seg.pth')
    save_tokens(det, torch.nn.ModuleList(MaskModule(256, 6) for _ in range(5)))
    save_tokens(seg, torch.nn.ModuleList([MaskModule(19, 8, weight_mask=False)]))
    return dict(det=det, seg=seg)


def load(name: str):
    cfg = load_config(osp.join(CONFIGS, name))
    DefaultScope.get_instance(f'maskd-{name}', scope_name=cfg.default_scope)
    return cfg


def test_every_stage1_config_has_a_stage2_config():
    assert len(STAGE1) == 7 and len(OFFICIAL) == 9
    assert set(osp.basename(p) for p in glob.glob(osp.join(CONFIGS, 'maskd_*.py'))) == set(OFFICIAL)


@pytest.mark.parametrize('name', sorted(OFFICIAL))
def test_stage2_configs_match_the_official_settings_and_build(name, no_network):
    weight, warmup, extras, inherit = OFFICIAL[name]
    cfg = load(name)
    loss = cfg.model.maskd_loss
    assert loss.loss_weight == weight
    segmentation = loss.channels == [19]
    if segmentation:
        assert not loss.weight_mask and not loss.custom_mask and loss.eps == 1e-5
        weights = next((w for key, w in SEG_POINT_WEIGHTS.items() if key in name), [1.0, 0.4])
        assert [p.get('weight', 1.0) for p in cfg.model.distill_points] == weights
        assert cfg.train_cfg.max_iters == 40000
    else:
        assert loss.weight_mask and loss.custom_mask and loss.custom_mask_warmup == warmup
        assert cfg.model.distill_points[0].align_channels == [256] * 5
        assert cfg.train_cfg.max_epochs == 24
    names = {h.get('name', 'loss_head_reg_kd') for h in cfg.model.get('head_reg_kd', [])}
    if cfg.model.get('roi_reg_kd'):
        names.add('roi')
    assert names == extras
    assert tuple(cfg.model.get('inherit', ())) == inherit
    assert cfg.model.teacher_ckpt.startswith('https://download.openmmlab.com/')
    assert not osp.exists(loss.tokens)  # the stage-1 output, not there yet

    # Building reads neither the teacher (a URL) nor the token file, and opens no socket.
    model = build(cfg.model)
    assert no_network == []
    assert not any(p.requires_grad for p in model.teacher.parameters())


@pytest.mark.parametrize('name', STAGE1)
def test_stage1_configs_follow_the_official_recipe_and_build(name, no_network):
    cfg = load(name)
    assert cfg.model.teacher_ckpt.startswith('https://download.openmmlab.com/')
    assert cfg.custom_hooks[0].type == 'ExportTokensHook'
    optimizer = cfg.optim_wrapper.optimizer
    if 'cityscapes' in name:
        assert cfg.model.channels == [19] and cfg.model.num_tokens == 8
        assert (optimizer.type, optimizer.lr, cfg.train_cfg.max_iters) == ('SGD', 0.1, 10000)
    else:
        assert cfg.model.channels == [256] * 5 and cfg.model.num_tokens == 6
        assert cfg.train_cfg.max_iters == 2000
        assert cfg.param_scheduler[0].type == 'CosineAnnealingLR'
        expected = ('SGD', 0.1) if 'faster-rcnn' in name else ('Adam', 0.01)
        assert (optimizer.type, optimizer.lr) == expected
    model = build(cfg.model)  # the teacher URL is read at the start of training only
    assert no_network == []
    assert len(model.mask_modules) == len(cfg.model.channels)


def test_offline_the_teacher_is_fetched_at_the_start_of_training_with_a_clear_error(
    no_network, tmp_path, monkeypatch, token_files
):
    """At the start of training (``init_weights``) the teacher URL goes through mmpcd's
    verified cache; offline, the error names the file to put there by hand."""
    monkeypatch.setenv('MMPCD_CACHE_DIR', str(tmp_path))
    cfg = load('maskd_fpn_faster-rcnn_r101_faster-rcnn_r50_8xb2-2x_coco.py')
    cfg.model.maskd_loss.tokens = token_files['det']
    model = build(cfg.model)
    cached = tmp_path / 'checkpoints' / osp.basename(cfg.model.teacher_ckpt)
    with pytest.raises(CheckpointError, match='offline and the checkpoint is not cached') as info:
        model.init_weights()
    assert f'copy it to {cached}' in str(info.value)
    assert no_network  # it did try, through mmpcd's cache ...
    assert not list((tmp_path / 'checkpoints').glob('*.pth'))  # ... and cached nothing
