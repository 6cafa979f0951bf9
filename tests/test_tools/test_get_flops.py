"""tools/analysis_tools/get_flops.py: backbone FLOPs and a method's training-forward overhead."""

import os.path as osp

import pytest
from mmengine.config import Config

from tests.conftest import load_script

PIXPRO = 'configs/pixpro/pixpro_resnet18_1xb16-lars-coslr-2e_demo.py'


@pytest.fixture(scope='module')
def tool():
    return load_script('tools/analysis_tools/get_flops.py')


def test_pixpro_counts_four_backbone_passes_per_image(tool, repo_root, one_thread):
    from mmpcd.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    result = tool.count(Config.fromfile(osp.join(repo_root, PIXPRO)), batch=2)
    # ResNet-18: 1.82 GFLOPs at 224 px (torchvision's figure), scaled to the 64 px views.
    assert result['backbone'] == pytest.approx(1.819e9 * (64 / 224) ** 2, rel=0.02)
    assert result['views'] == 2 and result['view_shape'] == (3, 64, 64)
    # Two views through the online and the momentum encoder, plus necks and PPM.
    assert 4.0 <= result['training'] / result['backbone'] < 4.5


def test_prints_the_overhead(tool, repo_root, capsys, one_thread):
    tool.main([osp.join(repo_root, PIXPRO)])
    out = capsys.readouterr().out
    assert 'backbone, one view of one image: 0.1' in out and 'x the backbone' in out
