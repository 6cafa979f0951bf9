"""A full config shrunk by hand with ``--cfg-options`` (issue 15, row 3): a replaced ``type``
sheds the keys of the config's own type that it does not take; AMP without a GPU and a
schedule that would begin after training stop ``tools/train.py`` before anything is built,
naming the fixes."""

import os.path as osp
import sys

import pytest
from mmengine.config import Config

from mmpcd.engine.runners import (
    check_amp_device,
    check_schedules_fit_training,
    merge_cfg_options,
    retyped_options,
)
from mmpcd.engine.runners import tool_args as tool_args_module
from mmpcd.engine.runners.retyped_options import takes_keyword
from mmpcd.registry import DATASETS, OPTIM_WRAPPERS
from mmpcd.utils import register_all_modules
from tests.conftest import REPO_ROOT, load_script

register_all_modules(init_default_scope=False)

PIXPRO_R50 = osp.join(
    REPO_ROOT, 'configs', 'pixpro', 'pixpro_resnet50_8xb128-lars-coslr-100e_in1k.py'
)
DENSECL_R50 = osp.join(REPO_ROOT, 'configs', 'densecl', 'densecl_resnet50_8xb32-coslr-200e_in1k.py')


def test_the_constructors_tell_which_keys_they_take():
    assert takes_keyword(DATASETS.get('ImageNet'), 'split')
    assert not takes_keyword(DATASETS.get('CustomDataset'), 'split')  # through **kwargs
    assert takes_keyword(DATASETS.get('CustomDataset'), 'pipeline')
    assert takes_keyword(OPTIM_WRAPPERS.get('AmpOptimWrapper'), 'loss_scale')
    assert not takes_keyword(OPTIM_WRAPPERS.get('OptimWrapper'), 'loss_scale')
    assert not takes_keyword(OPTIM_WRAPPERS.get('OptimWrapper'), 'dtype')


@pytest.mark.parametrize('config', [PIXPRO_R50, DENSECL_R50], ids=osp.basename)
def test_a_dataset_replaced_by_custom_dataset_sheds_the_imagenet_split(config):
    cfg = Config.fromfile(config)
    assert cfg.train_dataloader.dataset.split == 'train'  # the ImageNet bases stay as they were
    pipeline = cfg.train_dataloader.dataset.pipeline
    merge_cfg_options(
        cfg,
        {
            'train_dataloader.dataset.type': 'CustomDataset',
            'train_dataloader.dataset.data_prefix': 'images',
        },
    )
    dataset = cfg.train_dataloader.dataset
    assert 'split' not in dataset
    assert dataset.type == 'CustomDataset' and dataset.data_prefix == 'images'
    assert dataset.pipeline == pipeline and dataset.data_root == 'data/imagenet/'


def test_keys_the_new_type_takes_or_the_user_sets_are_kept():
    cfg = Config.fromfile(PIXPRO_R50)
    merge_cfg_options(cfg, {'train_dataloader.dataset.type': 'ImageNet'})
    assert cfg.train_dataloader.dataset.split == 'train'
    cfg = Config.fromfile(PIXPRO_R50)
    options = {
        'train_dataloader.dataset.type': 'CustomDataset',
        'train_dataloader.dataset.split': 'val',
    }
    merge_cfg_options(cfg, options)
    assert cfg.train_dataloader.dataset.split == 'val'  # the build will name it
    cfg = Config.fromfile(PIXPRO_R50)
    merge_cfg_options(cfg, {'train_dataloader.batch_size': 2})  # no type replaced
    assert cfg.train_dataloader.dataset.split == 'train'


def test_an_amp_wrapper_replaced_by_optim_wrapper_sheds_loss_scale_and_dtype(monkeypatch):
    logged = []
    monkeypatch.setattr(retyped_options, 'print_log', lambda msg, **kwargs: logged.append(msg))
    cfg = Config.fromfile(PIXPRO_R50)
    merge_cfg_options(cfg, {'optim_wrapper.dtype': 'bfloat16'})
    assert cfg.optim_wrapper.loss_scale == 'dynamic' and cfg.optim_wrapper.dtype == 'bfloat16'
    merge_cfg_options(cfg, {'optim_wrapper.type': 'OptimWrapper'})
    wrapper = cfg.optim_wrapper
    assert wrapper.type == 'OptimWrapper' and 'loss_scale' not in wrapper and 'dtype' not in wrapper
    assert wrapper.optimizer.type == 'PixProLARS'
    assert wrapper.constructor == 'FrozenAwareOptimWrapperConstructor'
    assert len(logged) == 2
    assert "dropped optim_wrapper.loss_scale='dynamic'" in logged[0]
    assert "dropped optim_wrapper.dtype='bfloat16'" in logged[1]


def test_print_config_shows_the_shed_keys(capsys):
    tool = load_script('tools/misc/print_config.py')
    tool.main([PIXPRO_R50, '--cfg-options', 'train_dataloader.dataset.type=CustomDataset'])
    printed = capsys.readouterr().out
    assert "type='CustomDataset'" in printed and "split='train'" not in printed


def _train_args(monkeypatch, *argv):
    tool = load_script('tools/train.py')
    monkeypatch.setattr(sys, 'argv', ['train.py', *argv])
    return tool, tool.parse_args()


def test_no_amp_trains_an_amp_recipe_in_fp32(monkeypatch):
    tool, args = _train_args(monkeypatch, PIXPRO_R50, '--no-amp')
    wrapper = tool.merge_args(Config.fromfile(PIXPRO_R50), args).optim_wrapper
    assert wrapper.type == 'OptimWrapper' and 'loss_scale' not in wrapper
    assert wrapper.optimizer.type == 'PixProLARS'
    with pytest.raises(SystemExit):  # argparse: not allowed with --amp
        _train_args(monkeypatch, PIXPRO_R50, '--amp', '--no-amp')


def test_amp_without_a_gpu_stops_before_anything_is_built(monkeypatch):
    tool, _ = _train_args(monkeypatch, PIXPRO_R50, '--work-dir', '/nonexistent/never_written')
    monkeypatch.setattr(tool, 'build_runner', lambda cfg: pytest.fail('the runner was built'))
    for name in ('cuda', 'npu', 'mlu', 'musa'):
        monkeypatch.setattr(tool_args_module, f'is_{name}_available', lambda: False)
    with pytest.raises(SystemExit) as stop:
        tool.main()
    message = str(stop.value)
    assert 'AmpOptimWrapper' in message and 'needs a GPU' in message
    for fix in ('--no-amp', 'optim_wrapper.type=OptimWrapper', '--smoke-test'):
        assert fix in message
    monkeypatch.setattr(tool_args_module, 'is_cuda_available', lambda: True)
    check_amp_device(Config.fromfile(PIXPRO_R50))  # a GPU machine trains it


def test_a_schedule_beginning_after_training_is_named_with_its_fixes():
    cfg = Config.fromfile(PIXPRO_R50)
    check_schedules_fit_training(cfg)  # the recipe: cosine from epoch 5 of 100
    cfg.train_cfg.max_epochs = 1
    with pytest.raises(SystemExit) as stop:
        check_schedules_fit_training(cfg)
    message = str(stop.value)
    assert 'param_scheduler.1 (CosineAnnealingLR) begins at epoch 5' in message
    assert 'param_scheduler.1.end=N' in message and 'param_scheduler=None' in message
    cfg.param_scheduler = None
    check_schedules_fit_training(cfg)
    cfg = Config.fromfile(PIXPRO_R50)
    cfg.train_cfg.max_epochs = 1
    cfg.param_scheduler[1].end = 6  # explicit: mmengine checks it
    check_schedules_fit_training(cfg)
