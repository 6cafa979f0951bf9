"""projects/maskd/tools/convert_official_tokens.py on checkpoints in the official layouts."""

import os.path as osp
from collections import OrderedDict

import pytest
import torch

from projects.maskd.maskd import MasKDLoss, MaskModule
from tests.conftest import load_script

from .helpers import REPO_ROOT

TOOL = osp.join(REPO_ROOT, 'projects', 'maskd', 'tools', 'convert_official_tokens.py')


@pytest.fixture(scope='module')
def tool():
    return load_script(TOOL)


def official_detection_checkpoint(path, levels=5, channels=16, num_tokens=6):
    """An mmcv 1.x checkpoint of the official stage 1: the teacher's weights with the
    ``mask_modules`` attached by ``MasKDHook``, meta and optimizer state."""
    torch.manual_seed(0)
    state = OrderedDict()
    state['backbone.conv1.weight'] = torch.randn(4, 3, 7, 7)
    state['neck.fpn_convs.0.conv.weight'] = torch.randn(channels, channels, 3, 3)
    originals = []
    for level in range(levels):
        module = MaskModule(channels, num_tokens)
        originals.append(module)
        for key, value in module.state_dict().items():
            state[f'mask_modules.{level}.{key}'] = value
    torch.save(
        dict(
            meta=dict(mmcv_version='1.4.0', CLASSES=('a', 'b'), iter=2000),
            state_dict=state,
            optimizer=dict(state={}, param_groups=[]),
        ),
        path,
    )
    return originals


def test_detection_tokens_convert_and_load_unchanged(tool, tmp_path):
    src, dst = str(tmp_path / 'maskd_official.ckpt'), str(tmp_path / 'tokens.pth')
    originals = official_detection_checkpoint(src)
    tool.main(
        [
            src,
            dst,
            '--levels',
            '5',
            '--channels',
            '16',
            '--num-tokens',
            '6',
            '--teacher-ckpt',
            'https://example/teacher.pth',
        ]
    )
    converted = torch.load(dst, weights_only=True)
    assert all(k.startswith('mask_modules.') for k in converted['state_dict'])
    assert len(converted['state_dict']) == 5 * 5  # teacher weights dropped
    meta = converted['meta']['maskd']
    assert meta['teacher_ckpt'] == 'https://example/teacher.pth'
    assert (meta['num_levels'], meta['channels'], meta['weight_mask']) == (5, [16] * 5, True)
    loss = MasKDLoss(dst, channels=[16] * 5)
    for module, original in zip(loss.mask_modules, originals):
        torch.testing.assert_close(module.state_dict(), original.state_dict())


def test_level_count_and_shapes_are_verified(tool, tmp_path):
    src = str(tmp_path / 'official.pth')
    official_detection_checkpoint(src, levels=4)
    with pytest.raises(SystemExit, match='4 levels, expected 5'):
        tool.main([src, str(tmp_path / 'out.pth'), '--levels', '5'])
    with pytest.raises(SystemExit, match=r'channels \[16, 16, 16, 16\], expected 256'):
        tool.main([src, str(tmp_path / 'out.pth'), '--channels', '256'])
    assert not osp.exists(tmp_path / 'out.pth')


def test_segmentation_release_with_a_bare_token_converts(tool, tmp_path):
    src, dst = str(tmp_path / 'seg.pth'), str(tmp_path / 'seg_tokens.pth')
    token = torch.randn(8, 19)
    torch.save(OrderedDict(mask_token=token), src)
    tool.main([src, dst, '--levels', '1', '--channels', '19', '--num-tokens', '8'])
    loss = MasKDLoss(dst, channels=[19], weight_mask=False, custom_mask=False)
    torch.testing.assert_close(loss.mask_modules[0].mask_token, token)
