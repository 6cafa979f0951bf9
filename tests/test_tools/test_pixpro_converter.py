"""tools/model_converters/pixpro_to_mmpcd.py on synthetic checkpoints in the official layout.

The official encoder is a torchvision-named ResNet: the fake source takes torchvision's
ResNet-18 (without ``fc``, as ``head_type='early_return'``), so the expected names come from an
independent implementation, not from the tool's tables.
"""

import argparse
import os.path as osp
import subprocess
import sys

import pytest
import torch
import torchvision
from mmengine.runner.checkpoint import _load_checkpoint_with_prefix
from mmpretrain.models import ResNet

from tests.conftest import REPO_ROOT, load_script

TOOL = osp.join(REPO_ROOT, 'tools', 'model_converters', 'pixpro_to_mmpcd.py')


def _official(tmp_path, with_opt=True, prefix='module.', drop=None):
    """An official-layout checkpoint: online encoder, momentum encoder, projectors, PPM
    transform and instance branch, random values, plus the run's argparse options."""
    torch.manual_seed(0)
    encoder = {
        k: torch.randn(v.shape) if v.is_floating_point() else v
        for k, v in torchvision.models.resnet18().state_dict().items()
        if not k.startswith('fc.')
    }
    model = {f'{prefix}encoder.{k}': v for k, v in encoder.items()}
    model.update({f'{prefix}encoder_k.{k}': v + 1 for k, v in encoder.items()})
    for part in (
        'projector',
        'projector_k',
        'projector_instance',
        'projector_instance_k',
        'predictor',
    ):
        model[f'{prefix}{part}.linear1.weight'] = torch.randn(32, 512, 1, 1)
        model[f'{prefix}{part}.bn1.running_mean'] = torch.randn(32)
    model[f'{prefix}value_transform.weight'] = torch.randn(16, 16, 1, 1)
    if drop:
        model.pop(prefix + drop)
    checkpoint = dict(model=model, optimizer={}, epoch=100)
    if with_opt:
        checkpoint['opt'] = argparse.Namespace(arch='resnet18', pixpro_p=2.0)
    path = tmp_path / 'pixpro_official.pth'
    torch.save(checkpoint, path)
    return path, encoder


def _run(*args):
    return subprocess.run(
        [sys.executable, TOOL, *map(str, args)], capture_output=True, text=True, cwd=REPO_ROOT
    )


@pytest.fixture(scope='module')
def tool():
    """The converter, imported by path (``tools/`` is not a package), for in-process runs."""
    return load_script(TOOL)


def _refused(tool, *args) -> str:
    """Run the tool in-process and return its error message (it must exit with one)."""
    with pytest.raises(SystemExit) as exit_info:
        tool.main([str(arg) for arg in args])
    return str(exit_info.value.code)


def test_round_trip_loads_strictly_into_resnet(tmp_path):
    src, encoder = _official(tmp_path)
    dst = tmp_path / 'converted.pth'
    result = _run(src, dst, '--depth', 18, '--trust')
    assert result.returncode == 0, result.stderr
    assert 'dropped 120 encoder_k.* tensors' in result.stdout
    assert "prefix='backbone.'" in result.stdout
    saved = torch.load(dst, weights_only=True)  # no pickled objects in the output
    assert saved['meta']['backbone_only'] and set(saved['state_dict']) == {
        'backbone.' + k for k in encoder
    }
    # What mmdet/mmseg's init_cfg=dict(type='Pretrained', prefix='backbone.') reads.
    backbone = _load_checkpoint_with_prefix('backbone.', str(dst), map_location='cpu')
    resnet = ResNet(depth=18)
    resnet.load_state_dict(backbone, strict=True)
    for key, value in encoder.items():
        assert torch.equal(resnet.state_dict()[key], value), key


def test_without_ddp_prefix_and_without_pickled_options(tool, tmp_path):
    src, encoder = _official(tmp_path, with_opt=False, prefix='')
    tool.main([str(src), str(tmp_path / 'out.pth'), '--depth', '18'])
    saved = torch.load(tmp_path / 'out.pth', weights_only=True)['state_dict']
    assert set(saved) == {'backbone.' + k for k in encoder}


def test_pickled_options_need_trust(tool, tmp_path):
    src, _ = _official(tmp_path)
    message = _refused(tool, src, tmp_path / 'out.pth', '--depth', 18)
    assert '--trust' in message and not osp.exists(tmp_path / 'out.pth')


def test_wrong_depth_and_incomplete_encoders_are_refused(tool, tmp_path):
    src, _ = _official(tmp_path, with_opt=False)
    message = _refused(tool, src, tmp_path / 'out.pth')  # default depth 50
    assert 'not a ResNet-50' in message and 'pass --depth' in message
    src, _ = _official(tmp_path, with_opt=False, drop='encoder.layer4.1.bn2.weight')
    message = _refused(tool, src, tmp_path / 'out.pth', '--depth', 18)
    assert 'missing in the checkpoint: backbone.layer4.1.bn2.weight' in message
    assert not osp.exists(tmp_path / 'out.pth')


def test_unknown_layouts_are_refused_with_the_keys(tool, tmp_path):
    path = tmp_path / 'moco.pth'
    torch.save(dict(state_dict={'module.encoder_q.conv1.weight': torch.zeros(1)}), path)
    message = _refused(tool, path, tmp_path / 'out.pth')
    assert 'not an official PixPro checkpoint' in message
    assert 'encoder_q.conv1.weight' in message
