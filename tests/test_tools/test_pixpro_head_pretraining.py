"""PixPro's FPN + FCOS head pre-training (the paper's Table 5): two iterations through
tools/train.py on the embedded photographs, the export in mmdet FCOS's layout, and mmdet's
FCOS initialised from it by the transfer benchmark config (towers pre-trained, predictors
with FCOS's own initialisation)."""

import os
import os.path as osp
import subprocess

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmpcd.converters.transfer_layouts import fpn_head_towers_to_mmdet
from tests.test_tools.test_launchers_and_benchmarks import fake_python  # noqa: F401
from tests.test_tools.test_pixpro_train import TINY
from tests.test_tools.test_train import newest_log, run

DEMO = 'tests/data/configs/pixpro_r18-fpn-fcos-head_demo.py'
RECIPE = 'configs/pixpro/pixpro_resnet50-fpn-fcos-head_8xb128-lars-coslr-100e_in1k.py'
TRANSFER = 'configs/benchmarks/mmdetection/coco/fcos_r50_fpn_gn-head_1x_coco.py'


@pytest.fixture(scope='module')
def exported(tmp_path_factory, python, repo_root):
    work_dir = tmp_path_factory.mktemp('fcos_head')
    run(
        [python, 'tools/train.py', DEMO, '--work-dir', str(work_dir), '--cfg-options', *TINY],
        repo_root,
    )
    log = newest_log(work_dir)
    assert 'Epoch(train) [1][2/2]' in log and 'loss_pixpro' in log
    out = work_dir / 'fcos.pth'
    run(
        [
            python,
            'tools/model_converters/extract_backbone_weights.py',
            str(work_dir / 'epoch_1.pth'),
            str(out),
            '--fcos',
        ],
        repo_root,
    )
    return out


def test_export_holds_backbone_fpn_and_towers_in_fcos_layout(exported):
    state = torch.load(exported, weights_only=True)['state_dict']
    tops = {k.split('.')[0] for k in state}
    assert tops == {'backbone', 'neck', 'bbox_head'}
    assert {k.split('.')[1] for k in state if k.startswith('bbox_head.')} == {
        'cls_convs',
        'reg_convs',
    }  # the untrained predictors stay out
    assert not any(k.startswith(('neck.fpn.', 'target_net.')) for k in state)


def _tiny_fcos(repo_root, checkpoint):
    """The transfer config at the demo's widths (ResNet-18, 128-channel FPN, 2-conv towers),
    BN instead of SyncBN on one CPU process."""
    cfg = Config.fromfile(osp.join(repo_root, TRANSFER))
    model = cfg.model
    model.backbone.update(depth=18, norm_cfg=dict(type='BN', requires_grad=True))
    model.neck.update(in_channels=[64, 128, 256, 512], out_channels=128)
    model.bbox_head.update(num_classes=4, in_channels=128, feat_channels=128, stacked_convs=2)
    for init in (model.backbone.init_cfg, model.neck.init_cfg, model.bbox_head.init_cfg[1]):
        init.checkpoint = str(checkpoint)
    from mmdet.registry import MODELS

    with DefaultScope.overwrite_default_scope('mmdet'):
        return MODELS.build(model)


def test_fcos_transfer_loads_the_pretrained_parts_and_keeps_fcos_init(exported, repo_root):
    state = torch.load(exported, weights_only=True)['state_dict']
    torch.manual_seed(0)
    detector = _tiny_fcos(repo_root, exported)
    detector.init_weights()
    own = detector.state_dict()
    for key, value in state.items():
        torch.testing.assert_close(own[key], value, msg=key)
    head = detector.bbox_head
    assert torch.allclose(
        head.conv_cls.bias, torch.full_like(head.conv_cls.bias, -4.59512), atol=1e-4
    )  # FCOS's focal-loss prior, not the checkpoint's
    assert head.conv_reg.weight.std().item() == pytest.approx(0.01, rel=0.1)
    from mmdet.testing import demo_mm_inputs

    packed = demo_mm_inputs(2, (3, 64, 64), num_items=[2, 1], num_classes=4)
    data = detector.data_preprocessor(packed, True)
    losses = detector(**data, mode='loss')
    assert torch.isfinite(sum(v for k, v in losses.items() if 'loss' in k))


def test_the_recipe_uses_mmdets_fcos_fpn_and_head(repo_root):
    recipe = Config.fromfile(osp.join(repo_root, RECIPE)).model
    fcos = Config.fromfile(osp.join(repo_root, TRANSFER)).model
    fpn = recipe.neck.fpn.to_dict()
    assert fpn.pop('type') == 'mmdet.FPN'
    assert {k: fcos.neck[k] for k in fpn} == fpn
    head = recipe.neck.head
    for key in ('in_channels', 'stacked_convs', 'feat_channels', 'strides', 'num_classes'):
        assert head[key] == fcos.bbox_head[key], key
    assert recipe.neck.levels == (0, 1, 2, 3)  # P3-P6 as the paper's FPN pre-training


def test_converter_refuses_a_checkpoint_without_towers():
    with pytest.raises(ValueError, match='not a PixPro FPN \\+ head pre-training'):
        fpn_head_towers_to_mmdet(
            {
                'backbone.conv1.weight': torch.zeros(1),
                'neck.lateral_convs.0.conv.weight': torch.zeros(1),
            }
        )


def test_fcos_launcher_fills_the_three_checkpoints(fake_python, tmp_path, repo_root):  # noqa
    python, record = fake_python
    ckpt = tmp_path / 'fcos.pth'
    ckpt.write_bytes(b'')
    subprocess.run(
        ['bash', 'tools/benchmarks/mmdetection/dist_train_fcos.sh', TRANSFER, str(ckpt), '8'],
        cwd=repo_root,
        check=True,
        env=dict(os.environ, PYTHON=python),
    )
    args = record.read_text().split('\n')
    for key in ('model.backbone.init_cfg', 'model.neck.init_cfg', 'model.bbox_head.init_cfg.1'):
        assert f'{key}.checkpoint={ckpt}' in args
