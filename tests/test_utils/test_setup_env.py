import warnings

import pytest
from mmengine import DefaultScope
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS

from mmpcd.registry import DATASETS, MODELS, RUNNERS, TRANSFORMS
from mmpcd.utils import register_all_modules, version_check


def test_register_all_modules_sets_the_mmpcd_scope():
    register_all_modules(init_default_scope=True)
    assert DefaultScope.get_current_instance().scope_name == 'mmpcd'


def test_register_all_modules_switches_a_foreign_scope_with_a_warning():
    DefaultScope.get_instance('test-foreign-scope', scope_name='mmdet')
    with pytest.warns(UserWarning, match='force the current default scope'):
        register_all_modules(init_default_scope=True)
    assert DefaultScope.get_current_instance().scope_name == 'mmpcd'


def test_registries_are_children_of_mmpretrain():
    assert MODELS.parent is MMPRETRAIN_MODELS
    assert MMPRETRAIN_MODELS.parent is MMENGINE_MODELS
    assert MODELS.scope == 'mmpcd'


def test_mmpretrain_components_resolve_in_the_mmpcd_scope():
    register_all_modules()
    backbone = MODELS.build(dict(type='ResNet', depth=18, out_indices=(3,)))
    assert type(backbone).__module__.startswith('mmpretrain.')
    assert TRANSFORMS.get('MultiView') is not None
    assert DATASETS.get('CustomDataset') is not None


def test_mmdet_and_mmseg_components_need_their_prefix():
    register_all_modules()
    fpn = MODELS.build(dict(type='mmdet.FPN', in_channels=[8, 16], out_channels=8, num_outs=2))
    assert type(fpn).__module__.startswith('mmdet.')
    head = MODELS.build(
        dict(type='mmseg.FCNHead', in_channels=8, channels=8, num_classes=3, num_convs=1)
    )
    assert type(head).__module__.startswith('mmseg.')
    # siblings do not see each other's bare names
    assert MODELS.get('FPN') is None


def test_mmpcd_components_are_registered():
    register_all_modules()
    assert RUNNERS.get('MMPCDRunner') is not None
    assert DATASETS.get('SyntheticDenseDataset') is not None
    # and stay private to the mmpcd scope
    assert MMPRETRAIN_MODELS.get('SyntheticDenseDataset') is None


def test_version_check_warns_outside_the_tested_window(monkeypatch):
    versions = {'mmcv': '2.2.0', 'torch': '2.14.1'}
    monkeypatch.setattr(version_check, 'installed_version', versions.get)
    with pytest.warns(UserWarning, match=r'mmcv>=2.1.0,<2.2.0 but found mmcv==2.2.0'):
        version_check.check_dependency_versions()


def test_version_check_is_silent_inside_the_window(monkeypatch):
    versions = {'mmcv': '2.1.0', 'torch': '2.14.1+cu130', 'mmengine': '0.10.7'}
    monkeypatch.setattr(version_check, 'installed_version', versions.get)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        version_check.check_dependency_versions()


def test_version_check_warns_about_transformers_5(monkeypatch):
    monkeypatch.setattr(
        version_check, 'installed_version', {'transformers': '5.1.0', 'mmpretrain': '1.2.0'}.get
    )
    with pytest.warns(UserWarning, match='transformers<5'):
        version_check.check_dependency_versions()


def test_version_check_ignores_transformers_without_mmpretrain(monkeypatch):
    monkeypatch.setattr(version_check, 'installed_version', {'transformers': '5.1.0'}.get)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        version_check.check_dependency_versions()
