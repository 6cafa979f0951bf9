"""The PixPro backbone variants of the official code (contrast/resnet.py): dilated C5
(``resnet50_16s``) and ResNet-D (``resnet50_d``: deep stem, average-pooled shortcuts). Each
trains two iterations through tools/train.py (the demo's ResNet-18 with the option the
ResNet-50 config sets), and its exported backbone loads into mmdet's / mmseg's backbone."""

import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmpcd.converters.transfer_layouts import deep_stem_to_mmdet
from tests.test_tools.test_pixpro_train import TINY
from tests.test_tools.test_train import newest_log, run

DEMO = 'configs/pixpro/pixpro_resnet18_1xb16-lars-coslr-2e_demo.py'
RECIPE = 'configs/pixpro/pixpro_resnet50_8xb128-lars-coslr-100e_in1k.py'
# variant: (ResNet-50 config, its backbone options, extract --layout, targets as
# (package, backbone type, extra args))
VARIANTS = {
    'd16': (
        'configs/pixpro/pixpro_resnet50-d16_8xb128-lars-coslr-100e_in1k.py',
        dict(strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2)),
        'mmpretrain',
        [('mmseg', 'ResNet', dict(dilations=(1, 1, 2, 4), strides=(1, 2, 1, 1)))],
    ),
    'v1d': (
        'configs/pixpro/pixpro_resnetv1d50_8xb128-lars-coslr-100e_in1k.py',
        dict(type='ResNetV1d'),
        'mmdet',
        [('mmdet', 'ResNetV1d', {}), ('mmseg', 'ResNetV1d', {})],
    ),
}


def _cfg_option(key: str, value) -> str:
    text = str(value).replace(' ', '') if isinstance(value, tuple) else value
    return f'model.backbone.{key}={text}'


@pytest.mark.parametrize('variant', list(VARIANTS))
def test_the_resnet50_config_sets_only_the_option(variant, repo_root):
    config, options, _, _ = VARIANTS[variant]
    recipe = Config.fromfile(osp.join(repo_root, RECIPE)).model.to_dict()
    recipe['backbone'].update(options)
    assert Config.fromfile(osp.join(repo_root, config)).model.to_dict() == recipe


@pytest.mark.parametrize('variant', list(VARIANTS))
def test_variant_trains_and_its_export_loads_into_mmdet_or_mmseg(
    variant, python, repo_root, tmp_path
):
    _, options, layout, targets = VARIANTS[variant]
    run(
        [
            python,
            'tools/train.py',
            DEMO,
            '--work-dir',
            str(tmp_path),
            '--cfg-options',
            *TINY,
            *(_cfg_option(k, v) for k, v in options.items()),
        ],
        repo_root,
    )
    log = newest_log(tmp_path)
    assert 'Epoch(train) [1][2/2]' in log and 'loss_pixpro' in log
    exported = tmp_path / 'backbone.pth'
    run(
        [
            python,
            'tools/model_converters/extract_backbone_weights.py',
            str(tmp_path / 'epoch_1.pth'),
            str(exported),
            '--strip-prefix',
            '--layout',
            layout,
        ],
        repo_root,
    )
    weights = torch.load(exported, weights_only=True)['state_dict']
    for package, backbone_type, extra in targets:
        registry = __import__(f'{package}.registry', fromlist=['MODELS']).MODELS
        __import__(f'{package}.models')
        # In the package's own scope: under another current scope (mmpcd's, which a run
        # or register_all_modules leaves behind) the build would find mmpretrain's class.
        with DefaultScope.overwrite_default_scope(package):
            backbone = registry.build(dict(type=backbone_type, depth=18, **extra))
        backbone.load_state_dict(weights, strict=True)
        assert backbone(torch.randn(1, 3, 64, 64))[-1].shape[1] == 512


def test_deep_stem_renaming_matches_mmdets_layout():
    from mmdet.models.backbones import ResNetV1d as MMDetResNetV1d
    from mmpretrain.models import ResNetV1d

    ours = ResNetV1d(depth=18).state_dict()
    renamed = deep_stem_to_mmdet({f'backbone.{k}': v for k, v in ours.items()})
    assert {k[len('backbone.') :] for k in renamed} == set(MMDetResNetV1d(depth=18).state_dict())
    plain = {'backbone.conv1.weight': torch.zeros(1)}
    assert deep_stem_to_mmdet(plain) == plain
