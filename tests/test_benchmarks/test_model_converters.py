"""extract_backbone_weights.py and publish_model.py on checkpoints shaped like tools/train.py's."""

import glob
import hashlib
import os.path as osp
import subprocess

import pytest
import torch
from mmengine.logging import HistoryBuffer


@pytest.fixture
def pcd_like(tmp_path):
    """A PCD-shaped full checkpoint: student backbone, MHSA/projector necks, teacher, queue,
    optimizer state and a message hub (only full unpickling reads it)."""
    state = {
        'backbone.conv1.weight': torch.randn(4, 3, 3, 3),
        'backbone.bn1.running_mean': torch.randn(4),
        'neck.mhsa.qkv.weight': torch.randn(12, 4),
        'neck.projector.0.weight': torch.randn(8, 4, 1, 1),
        'teacher.backbone.conv1.weight': torch.randn(4, 3, 3, 3),
        'queue': torch.randn(8, 16),
    }
    path = tmp_path / 'epoch_2.pth'
    torch.save(
        {
            'state_dict': state,
            'optimizer': {'state': {0: torch.ones(3)}},
            'meta': {'epoch': 2, 'iter': 20, 'dataset_meta': {'classes': ('a',)}},
            'message_hub': {'log': HistoryBuffer([1.0], [1])},
        },
        path,
    )
    return path, state


def run(python, repo_root, *args):
    return subprocess.run(
        [python, *args], cwd=repo_root, capture_output=True, text=True, timeout=300
    )


def test_extract_keeps_only_the_student_backbone(pcd_like, python, repo_root, tmp_path):
    src, state = pcd_like
    result = run(
        python,
        repo_root,
        'tools/model_converters/extract_backbone_weights.py',
        str(src),
        str(tmp_path / 'bb.pth'),
    )
    assert result.returncode == 0, result.stderr
    assert 'dropped: neck (2), queue (1), teacher (1)' in result.stdout
    out = torch.load(tmp_path / 'bb.pth', weights_only=True)['state_dict']
    assert set(out) == {'backbone.conv1.weight', 'backbone.bn1.running_mean'}
    assert torch.equal(out['backbone.conv1.weight'], state['backbone.conv1.weight'])


def test_extract_keep_neck_and_strip_prefix(pcd_like, python, repo_root, tmp_path):
    src, _ = pcd_like
    run(
        python,
        repo_root,
        'tools/model_converters/extract_backbone_weights.py',
        str(src),
        str(tmp_path / 'with_neck.pth'),
        '--keep-neck',
    )
    out = torch.load(tmp_path / 'with_neck.pth', weights_only=True)['state_dict']
    assert {k.split('.')[0] for k in out} == {'backbone', 'neck'}
    run(
        python,
        repo_root,
        'tools/model_converters/extract_backbone_weights.py',
        str(src),
        str(tmp_path / 'bare.pth'),
        '--strip-prefix',
    )
    out = torch.load(tmp_path / 'bare.pth', weights_only=True)['state_dict']
    assert set(out) == {'conv1.weight', 'bn1.running_mean'}


def test_extract_refuses_a_checkpoint_without_backbone(python, repo_root, tmp_path):
    torch.save(
        {'state_dict': {'module.encoder.conv1.weight': torch.zeros(1)}}, tmp_path / 'official.pth'
    )
    result = run(
        python,
        repo_root,
        'tools/model_converters/extract_backbone_weights.py',
        str(tmp_path / 'official.pth'),
        str(tmp_path / 'out.pth'),
    )
    assert result.returncode != 0
    assert 'no backbone.* key in the checkpoint (top-level names: encoder)' in result.stderr
    assert 'Traceback' not in result.stderr


def test_publish_strips_training_state_and_names_the_hash(pcd_like, python, repo_root, tmp_path):
    src, state = pcd_like
    result = run(
        python,
        repo_root,
        'tools/model_converters/publish_model.py',
        str(src),
        str(tmp_path / 'pcd_r18.pth'),
    )
    assert result.returncode == 0, result.stderr
    [published] = glob.glob(str(tmp_path / 'pcd_r18-*.pth'))
    with open(published, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    assert osp.basename(published) == f'pcd_r18-{digest[:8]}.pth'
    checkpoint = torch.load(published, weights_only=True)  # no optimizer, no message hub
    assert set(checkpoint) == {'state_dict', 'meta'}
    assert checkpoint['meta'] == {'epoch': 2, 'iter': 20}
    assert set(checkpoint['state_dict']) == set(state)
