"""tools/misc/print_config.py: the config after inheritance, options and --smoke-test."""

import os.path as osp

from tests.conftest import load_script

CONFIG = 'configs/pixpro/pixpro_resnet50_8xb128-lars-coslr-100e_in1k.py'


def test_prints_the_inherited_config_with_options(capsys, repo_root):
    load_script('tools/misc/print_config.py').main(
        [osp.join(repo_root, CONFIG), '--cfg-options', 'train_dataloader.batch_size=3']
    )
    out = capsys.readouterr().out
    assert "type='PixPro'" in out and 'batch_size=3' in out
    assert "data_root='data/imagenet/'" in out  # from the ImageNet base


def test_smoke_test_shows_the_demo_data_and_fp32(capsys, repo_root, tmp_path):
    load_script('tools/misc/print_config.py').main(
        [osp.join(repo_root, CONFIG), '--smoke-test', '--cfg-options', f'work_dir={tmp_path}']
    )
    out = capsys.readouterr().out
    assert osp.join(repo_root, 'data', 'demo') in out and 'AmpOptimWrapper' not in out
    assert 'max_epochs=1' in out
