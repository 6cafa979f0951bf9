"""Official behaviours that configs select (issue 16 rows 5, 7 and 8): each test builds the
model from the config and checks the behaviour itself, not only the config keys."""

import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

from mmpcd.registry import MODELS
from mmpcd.utils import register_all_modules
from tests.conftest import REPO_ROOT


def load(path: str) -> Config:
    register_all_modules(init_default_scope=False)
    return Config.fromfile(osp.join(REPO_ROOT, path))


def build(cfg_model):
    with DefaultScope.overwrite_default_scope('mmpcd'):
        return MODELS.build(cfg_model)


def test_densecl_initialises_like_the_official_code(one_thread):
    """Row 8: Kaiming normal with fan_in for the backbone convs (openselfsup resnet.py:393)
    and the global MLP's Linear layers (necks.py:10-18); mmpretrain's ResNet uses fan_out."""
    cfg = load('configs/densecl/densecl_resnet18_8xb32-coslr-200e_in1k.py')
    torch.manual_seed(0)
    model = build(cfg.model)
    model.init_weights()
    conv = model.backbone.layer2[0].conv1.weight  # 3x3, 64 -> 128: fan_in 576, fan_out 1152
    assert conv.std().item() == pytest.approx((2 / 576) ** 0.5, rel=0.05)
    linear = model.neck.mlp[0]  # 512 -> 512
    assert linear.weight.std().item() == pytest.approx((2 / 512) ** 0.5, rel=0.05)
    assert linear.bias.abs().max() == 0
    # the dense 1x1 convs keep PyTorch's default (kaiming_uniform with a = sqrt(5))
    dense = model.neck.mlp2[0].weight
    assert dense.std().item() == pytest.approx((1 / (3 * 512)) ** 0.5, rel=0.05)


def test_pixpro_linear_evaluation_keeps_the_backbone_weights_but_updates_its_bn_stats():
    """Row 7: main_linear.py:174 runs the frozen backbone in train mode."""
    cfg = load('configs/benchmarks/mmpretrain/resnet50_pixpro-linear_8xb32-coslr-100e_in1k.py')
    cfg.model.backbone.update(depth=18, init_cfg=None)
    cfg.model.head.in_channels = 512
    from mmpretrain.structures import DataSample

    def step(model_cfg):
        torch.manual_seed(0)
        model = build(model_cfg)
        wrapper = dict(cfg.optim_wrapper, type='OptimWrapper')  # AMP needs a GPU
        wrapper.pop('loss_scale')
        optim = build_optim_wrapper(model, wrapper)
        before = {k: v.clone() for k, v in model.state_dict().items()}
        model.train()
        samples = [DataSample().set_gt_label(i) for i in range(2)]
        data = model.data_preprocessor(
            dict(
                inputs=[torch.randint(0, 255, (3, 32, 32), dtype=torch.uint8)] * 2,
                data_samples=samples,
            ),
            True,
        )
        optim.update_params(sum(model(**data, mode='loss').values()))
        after = model.state_dict()
        return {k: not torch.equal(before[k], after[k]) for k in before}

    changed = step(cfg.model)
    assert changed['head.fc.weight']
    assert not changed['backbone.conv1.weight'] and not changed['backbone.layer4.1.conv2.weight']
    assert changed['backbone.bn1.running_mean']  # batch statistics, as upstream
    frozen_bn = step(dict(cfg.model, backbone=dict(cfg.model.backbone, frozen_stages=4)))
    assert not frozen_bn['backbone.bn1.running_mean']  # mmpretrain's protocol, one option away


def test_barlow_twins_teacher_gets_the_official_three_layer_student_head(one_thread):
    """Row 5: bt_resnet50.py:10-27, conv-BN-ReLU-conv-BN-ReLU-conv twice, 8192 wide."""
    cfg = load('configs/pcd/pcd_resnet18_barlowtwins-resnet50_8xb128-lars-coslr-100e_in1k.py')
    neck = cfg.model.neck
    assert (neck.hid_channels, neck.out_channels, neck.num_layers) == (8192, 8192, 3)
    assert cfg.model.teacher.adaptor.channels == (2048, 8192, 8192, 8192)
    assert cfg.model.feat_dim == 8192 and cfg.model.teacher.layout == 'barlow_twins'
    small = dict(neck, hid_channels=32, out_channels=16, mhsa=None)
    module = build(small)
    names = [n for n, _ in module.projector.named_children()]
    assert names == ['fc0', 'bn0', 'relu', 'fc1', 'bn1', 'relu1', 'fc2']
    assert not any(m.bias is not None for m in module.modules() if isinstance(m, torch.nn.Conv2d))
    assert module((torch.randn(2, 512, 3, 3),))[0].shape == (2, 16, 3, 3)
    with pytest.raises(ValueError, match='One bias flag per conv'):
        build(dict(small, projector_bias=(False, False)))
