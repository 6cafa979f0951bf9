"""tools/misc/browse_dataset.py: both views of N samples with their crop boxes and PixPro's
positive cell pairs, from a real two-view pipeline."""

import os.path as osp

import numpy as np
import pytest

from mmpcd.visualization import positive_mask
from tests.conftest import load_script
from tests.test_visualization.helpers import assert_png

CONFIG = 'configs/pixpro/pixpro_resnet18_1xb16-lars-coslr-2e_demo.py'


@pytest.fixture(scope='module')
def tool():
    return load_script('tools/misc/browse_dataset.py')


def test_writes_one_figure_per_sample(tool, repo_root, tmp_path, capsys):
    tool.main(
        [osp.join(repo_root, CONFIG), '--out-dir', str(tmp_path), '--num', '2', '--panel', '128']
    )
    for index in range(2):
        assert_png(str(tmp_path / f'sample_{index}.png'), 128 + 24, 3 * 128)
    assert capsys.readouterr().out.count('wrote ') == 2


def test_the_drawn_geometry_is_the_pipelines(tool, repo_root, mmpcd_scope):
    from mmengine.config import Config

    from mmpcd.registry import DATASETS
    from mmpcd.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(osp.join(repo_root, CONFIG))
    results = tool.views_before_packing(DATASETS.build(cfg.train_dataloader.dataset), 0)
    height, width = results['coord_ori_shape']
    # The boxes drawn on the original are the coords the loss reads (inclusive pixel boxes,
    # normalised by size - 1 as RandomResizedCropWithCoord records them).
    scale = np.array([width, height, width, height], dtype=np.float32) - 1
    np.testing.assert_allclose(results['crop_box'] / scale, results['coord'], atol=1e-5)
    assert len(results['img']) == 2 and results['img'][0].shape[:2] == (64, 64)
    positives = positive_mask(results['coord'][0], results['coord'][1], (2, 2), (2, 2))
    assert positives.shape == (4, 4)
