"""Two iterations of PixPro, PixPro + instance branch, PixPro-FPN and PixContrast through
tools/train.py on the embedded photographs, then the FPN's transfer into mmdet."""

import os.path as osp

import pytest
from mmengine.config import Config

from tests.test_tools.test_train import newest_log, run

CONFIGS = {
    'pixpro': ('configs/pixpro/pixpro_resnet18_1xb16-lars-coslr-2e_demo.py', 'loss_pixpro'),
    'pixpro-ins': ('tests/data/configs/pixpro-ins_r18_demo.py', 'loss_instance'),
    'pixpro-fpn': ('tests/data/configs/pixpro_r18-fpn_demo.py', 'loss_pixpro'),
    'pixcontrast': ('tests/data/configs/pixcontrast_r18_demo.py', 'loss_pixcontrast'),
}
# 8 images in batches of 4: two iterations.
TINY = [
    'train_dataloader.batch_size=4',
    'train_dataloader.num_workers=0',
    'train_dataloader.dataset.indices=8',
    'train_cfg.max_epochs=1',
    'default_hooks.logger.interval=1',
]


@pytest.mark.parametrize('name', list(CONFIGS))
def test_two_iterations_through_tools_train(name, python, repo_root, tmp_path):
    config, loss_key = CONFIGS[name]
    run(
        [python, 'tools/train.py', config, '--work-dir', str(tmp_path), '--cfg-options', *TINY],
        repo_root,
    )
    assert osp.isfile(tmp_path / 'epoch_1.pth')
    log = newest_log(tmp_path)
    assert 'Epoch(train) [1][2/2]' in log and loss_key in log
    assert 'nan' not in log.split('Epoch(train) [1][2/2]')[1].split('\n')[0]


def test_pixpro_fpn_weights_initialise_mask_rcnns_fpn(repo_root, mmpcd_scope):
    """The pre-trained FPN has Mask R-CNN's FPN layout (mmdet's own config, R18 widths), so
    ``init_cfg=dict(type='Pretrained', prefix='neck.')`` loads every key of it."""
    from mmengine.registry import DefaultScope

    from mmpcd.registry import MODELS
    from mmpcd.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(osp.join(repo_root, 'tests/data/configs/pixpro_r18-fpn_demo.py'))
    pixpro = MODELS.build(cfg.model)
    mask_rcnn = Config.fromfile(
        osp.join(repo_root, 'tests/data/configs/mask-rcnn_r18_fpn_tiny_coco.py')
    ).model
    mask_rcnn.neck.update(out_channels=128)
    with DefaultScope.overwrite_default_scope('mmdet'):
        detector_fpn = MODELS.build(mask_rcnn.neck)
    neck = {k[len('neck.') :]: v for k, v in pixpro.state_dict().items() if k.startswith('neck.')}
    detector_fpn.load_state_dict(neck, strict=True)
