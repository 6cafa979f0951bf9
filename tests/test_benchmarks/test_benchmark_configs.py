"""configs/benchmarks: every config loads and builds; the checked Pretrained init loads the
C4 res5 shared head and a PixPro-FPN's FPN, and refuses checkpoints that fit nothing."""

import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import HistoryBuffer, MMLogger
from mmengine.registry import DefaultScope

from mmpcd.models.utils import PretrainedLoadError
from mmpcd.registry import MODELS
from mmpcd.utils import register_all_modules
from tests.conftest import REPO_ROOT

# The transfer configs; configs/benchmarks/small/ holds the small dense benchmark's
# pre-training configs (tests/test_benchmarks/test_dense_bench.py, which also trains them).
CONFIGS = sorted(
    path
    for path in glob.glob(
        osp.join(REPO_ROOT, 'configs', 'benchmarks', '**', '*.py'), recursive=True
    )
    if not path.startswith(osp.join(REPO_ROOT, 'configs', 'benchmarks', 'small', ''))
)


def build(cfg: Config):
    """Build ``cfg.model`` in the config's default scope, as its runner would."""
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        return MODELS.build(cfg.model)


def init_weights(model) -> None:
    with DefaultScope.overwrite_default_scope('mmdet'):
        model.init_weights()


def save_full_checkpoint(path, state: dict) -> str:
    """A checkpoint shaped like tools/train.py's: a message hub that only full unpickling reads
    (mmengine's Pretrained cannot read it under torch >= 2.6)."""
    torch.save({'state_dict': state, 'message_hub': {'log': HistoryBuffer([1.0], [1])}}, path)
    return str(path)


def pretraining_state(backbone: torch.nn.Module, **others: torch.nn.Module) -> dict:
    """``backbone.*`` plus other modules' keys and a momentum copy, as a DenseCL/PixPro run."""
    state = {f'backbone.{k}': v.clone() for k, v in backbone.state_dict().items()}
    state.update({f'encoder_k.{k}': torch.zeros_like(v) for k, v in backbone.state_dict().items()})
    for prefix, module in others.items():
        state.update({f'{prefix}.{k}': v.clone() for k, v in module.state_dict().items()})
    return state


def randomise(module: torch.nn.Module) -> torch.nn.Module:
    torch.manual_seed(7)
    with torch.no_grad():
        for tensor in module.state_dict().values():
            if tensor.is_floating_point():
                tensor.normal_()
    return module


def test_there_are_benchmark_configs_for_each_downstream_repo():
    names = {osp.relpath(c, osp.join(REPO_ROOT, 'configs', 'benchmarks')) for c in CONFIGS}
    for expected in (
        'mmdetection/coco/mask-rcnn_r50_fpn_ms-1x_coco.py',
        'mmdetection/coco/mask-rcnn_r18_fpn_ms-2x_coco.py',
        'mmdetection/coco/mask-rcnn_r50-c4_ms-1x_coco.py',
        'mmdetection/voc0712/faster-rcnn_r50-c4_ms-24k_voc0712.py',
        'mmsegmentation/cityscapes/fcn_r50-d8_4xb2-40k_cityscapes-769x769.py',
        'mmsegmentation/voc12aug/fcn_r50-d8_4xb4-20k_voc12aug-512x512.py',
        'mmsegmentation/cityscapes/deeplabv3_r18-d8_4xb2-40k_cityscapes-769x769.py',
        'mmpretrain/resnet18_8xb32-linear-steplr-100e_in1k.py',
    ):
        assert expected in names


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO_ROOT))
def test_config_loads_and_builds(path):
    cfg = Config.fromfile(path)
    backbone = cfg.model.backbone
    assert backbone.init_cfg == dict(
        type='Pretrained', _scope_='mmpcd', checkpoint=None, prefix='backbone.'
    )
    if 'mmsegmentation' in path:
        assert backbone.type == 'ResNet' and not backbone.deep_stem  # the stem the SSL has
        assert cfg.model.pretrained is None
    if 'mmdetection' in path:
        assert backbone.frozen_stages == -1 and backbone.norm_eval is False
        assert backbone.norm_cfg.type == 'SyncBN'
    if '_fpn_' in path and 'roi_head' in cfg.model:  # the Mask R-CNN FPN benchmarks
        assert cfg.model.roi_head.bbox_head.type == 'Shared4Conv1FCBBoxHead'
        assert cfg.model.neck.norm_cfg.type == 'SyncBN'
        scales = cfg.train_dataloader.dataset.pipeline[2].scales
        assert min(s[1] for s in scales) == 640 and max(s[1] for s in scales) == 800
    if 'r18' in path and 'mmdetection' in path:
        assert cfg.model.neck.in_channels == [64, 128, 256, 512]
    model = build(cfg)
    assert sum(p.numel() for p in model.parameters()) > 1e6


def test_c4_loads_layer4_into_the_shared_head(tmp_path):
    """Both init_cfgs read `backbone.*`: res1-4 into the backbone, res5 into the RoI head."""
    from mmpretrain.models import ResNet

    cfg = Config.fromfile(
        f'{REPO_ROOT}/configs/benchmarks/mmdetection/coco/mask-rcnn_r50-c4_ms-1x_coco.py'
    )
    source = randomise(ResNet(depth=50))
    ckpt = save_full_checkpoint(tmp_path / 'densecl.pth', pretraining_state(source))
    cfg.model.backbone.init_cfg.checkpoint = ckpt
    cfg.model.roi_head.shared_head.init_cfg.checkpoint = ckpt
    model = build(cfg)
    init_weights(model)
    head = model.roi_head.shared_head
    assert type(head).__name__ == 'ResLayerExtraNorm'
    for name, value in source.layer4.state_dict().items():
        assert torch.equal(head.layer4.state_dict()[name], value), name
    for name in ('conv1.weight', 'layer1.0.conv2.weight', 'layer3.5.bn3.running_var'):
        assert torch.equal(model.backbone.state_dict()[name], source.state_dict()[name]), name


def test_pixpro_fpn_checkpoint_initialises_the_fpn(tmp_path):
    """A PixPro-FPN checkpoint stores mmdet's FPN as `neck.*`: with prefix='neck.' it fills the
    detector's FPN; loaded after the children's own init (ConvModule re-initialises itself)."""
    from mmdet.models.necks import FPN
    from mmpretrain.models import ResNet

    cfg = Config.fromfile(
        f'{REPO_ROOT}/configs/benchmarks/mmdetection/coco/mask-rcnn_r18_fpn_ms-1x_coco.py'
    )
    source_backbone = randomise(ResNet(depth=18))
    source_fpn = randomise(FPN(in_channels=[64, 128, 256, 512], out_channels=256, num_outs=5))
    ckpt = save_full_checkpoint(
        tmp_path / 'pixpro_fpn.pth', pretraining_state(source_backbone, neck=source_fpn)
    )
    cfg.model.backbone.init_cfg.checkpoint = ckpt
    cfg.model.neck.init_cfg = dict(
        type='Pretrained', _scope_='mmpcd', checkpoint=ckpt, prefix='neck.'
    )
    model = build(cfg)
    init_weights(model)
    # PixPro's FPN has no norm (conv biases), the benchmark's has SyncBN: the conv weights
    # load, the biases have no place and the norms keep their init.
    weights = [k for k in source_fpn.state_dict() if k.endswith('conv.weight')]
    assert len(weights) == 8
    for name in weights:
        assert torch.equal(model.neck.state_dict()[name], source_fpn.state_dict()[name]), name
    assert torch.equal(model.backbone.conv1.weight, source_backbone.conv1.weight)


def test_loading_logs_the_count(tmp_path, capsys):
    from mmpretrain.models import ResNet

    cfg = Config.fromfile(
        f'{REPO_ROOT}/configs/benchmarks/mmsegmentation/cityscapes/'
        'fcn_r18-d8_4xb2-40k_cityscapes-769x769.py'
    )
    source = randomise(ResNet(depth=18))
    cfg.model.backbone.init_cfg.checkpoint = save_full_checkpoint(
        tmp_path / 'ckpt.pth', pretraining_state(source)
    )
    MMLogger.get_instance('test_benchmarks', log_level='INFO')
    model = build(cfg)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model.init_weights()
    out = capsys.readouterr()
    assert 'loaded 120/120 tensors of ResNet from' in out.out + out.err
    assert torch.equal(model.backbone.conv1.weight, source.conv1.weight)


def test_deep_stem_pitfall_is_reported(tmp_path, capsys):
    """mmseg's stock ResNetV1c has a 3-conv stem an SSL ResNet cannot fill: loading goes on
    (the stages fit) but the log names the stem as left at init."""
    from mmpretrain.models import ResNet

    cfg = Config.fromfile(
        f'{REPO_ROOT}/configs/benchmarks/mmsegmentation/cityscapes/'
        'fcn_r18-d8_4xb2-40k_cityscapes-769x769.py'
    )
    cfg.model.backbone.type = 'ResNetV1c'
    cfg.model.backbone.pop('deep_stem')
    cfg.model.backbone.init_cfg.checkpoint = save_full_checkpoint(
        tmp_path / 'ckpt.pth', pretraining_state(ResNet(depth=18))
    )
    MMLogger.get_instance('test_benchmarks_stem', log_level='INFO')
    model = build(cfg)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model.init_weights()
    out = capsys.readouterr()
    assert 'missing (left at init): stem.0.weight' in out.out + out.err


@pytest.mark.parametrize('case', ['other_network', 'wrong_prefix', 'missing_file'])
def test_a_checkpoint_that_fits_nothing_fails_loudly(case, tmp_path):
    cfg = Config.fromfile(
        f'{REPO_ROOT}/configs/benchmarks/mmsegmentation/cityscapes/'
        'fcn_r18-d8_4xb2-40k_cityscapes-769x769.py'
    )
    vit_like = {
        'backbone.patch_embed.proj.weight': torch.zeros(64, 3, 16, 16),
        'backbone.cls_token': torch.zeros(1, 1, 64),
    }
    cfg.model.backbone.init_cfg.checkpoint = save_full_checkpoint(tmp_path / 'c.pth', vit_like)
    expected = PretrainedLoadError
    if case == 'other_network':
        match = 'none of the 2 tensors'
    elif case == 'wrong_prefix':
        cfg.model.backbone.init_cfg.prefix = 'module.encoder.'
        match = "no key starting with 'module.encoder.'"
    else:
        cfg.model.backbone.init_cfg.checkpoint = str(tmp_path / 'nowhere.pth')
        expected, match = FileNotFoundError, 'does not exist'
    model = build(cfg)
    with pytest.raises(expected, match=match):
        with DefaultScope.overwrite_default_scope('mmseg'):
            model.init_weights()
