"""Configs that inherit from mmdet/mmseg/mmpretrain load, build and run a loss step."""

import os.path as osp

import torch
from mmengine.config import Config
from mmengine.structures import PixelData

from mmpcd.registry import MODELS
from mmpcd.utils import register_all_modules
from tests.conftest import REPO_ROOT

CONFIGS = osp.join(REPO_ROOT, 'tests', 'data', 'configs')


def load(name: str) -> Config:
    return Config.fromfile(osp.join(CONFIGS, name))


def test_mmdet_mask_rcnn_inherits_builds_and_computes_losses():
    from mmdet.testing import demo_mm_inputs

    register_all_modules()
    cfg = load('mask-rcnn_r18_fpn_tiny_coco.py')
    assert cfg.default_scope == 'mmdet'
    assert cfg.model._scope_ == 'mmdet'  # stamped by the mmdet:: base
    assert cfg.model.backbone.depth == 18
    assert cfg.train_dataloader.dataset.type == 'CocoDataset'

    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'MaskRCNN'
    packed = demo_mm_inputs(
        2, [[3, 64, 64], [3, 64, 48]], num_items=[2, 1], num_classes=80, with_mask=True
    )
    data = model.data_preprocessor(packed, True)
    losses = model(**data, mode='loss')
    # loss_mask goes through mmcv.ops RoIAlign on the CPU
    for key in ('loss_rpn_cls', 'loss_cls', 'loss_bbox', 'loss_mask'):
        assert key in losses
    total = sum(v.sum() for v in _flatten(losses))
    assert torch.isfinite(total)


def test_mmseg_fcn_inherits_builds_and_computes_losses():
    from mmseg.structures import SegDataSample

    register_all_modules()
    cfg = load('fcn_r18-d8_tiny_cityscapes.py')
    assert cfg.default_scope == 'mmseg'
    assert cfg.model._scope_ == 'mmseg'
    assert cfg.train_dataloader.dataset.type == 'CityscapesDataset'

    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'EncoderDecoder'
    samples = []
    for _ in range(2):
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 19, (1, 64, 64)))
        sample.set_metainfo(dict(img_shape=(64, 64), ori_shape=(64, 64), pad_shape=(64, 64)))
        samples.append(sample)
    inputs = [torch.randint(0, 255, (3, 64, 64), dtype=torch.uint8) for _ in range(2)]
    data = model.data_preprocessor(dict(inputs=inputs, data_samples=samples), True)
    losses = model(**data, mode='loss')
    assert {'decode.loss_ce', 'aux.loss_ce'} <= set(losses)
    assert torch.isfinite(losses['decode.loss_ce'])


def test_mmpretrain_densecl_inherits_builds_and_computes_losses():
    from mmpretrain.structures import DataSample

    register_all_modules()
    cfg = load('densecl_r18_tiny_in1k.py')
    assert cfg.default_scope == 'mmpretrain'
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'DenseCL'
    views = [torch.randint(0, 255, (2, 3, 64, 64), dtype=torch.uint8) for _ in range(2)]
    data = model.data_preprocessor(
        dict(inputs=views, data_samples=[DataSample(), DataSample()]), True
    )
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_single', 'loss_dense'}
    assert all(torch.isfinite(v) and v > 0 for v in losses.values())


def _flatten(losses: dict) -> list:
    values = []
    for value in losses.values():
        values.extend(value if isinstance(value, (list, tuple)) else [value])
    return values
