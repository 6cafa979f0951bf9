"""tools/train.py on the tiny PCD config: a synthetic MoCo v3 teacher, 2 iterations (in a
subprocess, as users run it), then a resume (in this process) that must keep the queue."""

import glob
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
import torch.nn as nn
import torchvision

from tests.conftest import load_script

TINY_CONFIG = 'configs/pcd/pcd_resnet18_mocov3-resnet18_1xb8-lars-coslr-2e_demo.py'
MAIN_CONFIG = 'configs/pcd/pcd_resnet18_mocov3-resnet50_8xb128-lars-coslr-100e_in1k.py'
# 8 images in batches of 4: two iterations an epoch.
OPTIONS = [
    'train_dataloader.batch_size=4',
    'train_dataloader.num_workers=0',
    'train_dataloader.dataset.indices=8',
    'default_hooks.logger.interval=1',
]


def run(python, repo_root, *args):
    # One thread: two OpenMP threads on a loaded 2-core machine slow a step down 30x.
    env = dict(os.environ, OMP_NUM_THREADS='1')
    result = subprocess.run(
        [python, 'tools/train.py', *args],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise AssertionError(f'{args} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}')


def newest_log(work_dir) -> str:
    logs = sorted(glob.glob(osp.join(work_dir, '*', '*.log')), key=osp.getmtime)
    with open(logs[-1]) as f:
        return f.read()


def load(path):
    return torch.load(path, map_location='cpu', weights_only=False)['state_dict']


@pytest.fixture(scope='module')
def teacher_checkpoint(tmp_path_factory):
    """An official-layout MoCo v3 checkpoint of the tiny config's ResNet-18 teacher."""
    torch.manual_seed(0)
    encoder = torchvision.models.resnet18()
    encoder.fc = nn.Sequential(
        nn.Linear(512, 256, bias=False),
        nn.BatchNorm1d(256),
        nn.ReLU(),
        nn.Linear(256, 64, bias=False),
        nn.BatchNorm1d(64, affine=False),
    )
    state = {f'module.momentum_encoder.{k}': v for k, v in encoder.state_dict().items()}
    path = tmp_path_factory.mktemp('teacher') / 'r-18-mocov3.pth.tar'
    torch.save(dict(state_dict=state), path)
    return path, encoder


@pytest.fixture(scope='module')
def train_tool(repo_root):
    """tools/train.py as a module, to call its main() in this process."""
    return load_script('tools/train.py')


@pytest.fixture(scope='module')
def first_epoch(tmp_path_factory, python, repo_root, teacher_checkpoint):
    work_dir = tmp_path_factory.mktemp('pcd_train')
    run(
        python,
        repo_root,
        TINY_CONFIG,
        '--work-dir',
        str(work_dir),
        '--cfg-options',
        *OPTIONS,
        f'teacher_checkpoint={teacher_checkpoint[0]}',
        'train_cfg.max_epochs=1',
    )
    return work_dir


def test_two_iterations_with_a_loaded_teacher(first_epoch, teacher_checkpoint):
    log = newest_log(first_epoch)
    assert f'Loaded the PCD teacher from {teacher_checkpoint[0]}' in log
    assert "dropped ['module.momentum_encoder.fc.4.running_mean'" in log
    assert 'Epoch(train) [1][2/2]' in log
    assert 'acc_top1' in log and 'acc_top5' in log
    state = load(first_epoch / 'epoch_1.pth')
    encoder = teacher_checkpoint[1]
    # The frozen teacher is the checkpoint's, untouched by init_weights or the optimiser.
    assert torch.equal(
        state['teacher.backbone.layer4.1.conv2.weight'], encoder.layer4[1].conv2.weight
    )
    assert torch.equal(state['teacher.adaptor.0.weight'][:, :, 0, 0], encoder.fc[0].weight)
    assert torch.equal(state['teacher.adaptor.1.running_var'], encoder.fc[1].running_var)
    assert int(state['queue_ptr']) == 8


def test_resume_keeps_the_queue_and_its_pointer(
    first_epoch, train_tool, repo_root, teacher_checkpoint, monkeypatch, one_thread
):
    """tools/train.py --resume, run in this process (saves a subprocess start-up)."""
    monkeypatch.chdir(repo_root)
    monkeypatch.setattr(
        sys,
        'argv',
        [
            'train.py',
            TINY_CONFIG,
            '--work-dir',
            str(first_epoch),
            '--resume',
            '--cfg-options',
            *OPTIONS,
            f'teacher_checkpoint={teacher_checkpoint[0]}',
            'train_cfg.max_epochs=2',
        ],
    )
    train_tool.main()
    assert 'resumed epoch: 1, iter: 2' in newest_log(first_epoch)
    before, after = load(first_epoch / 'epoch_1.pth'), load(first_epoch / 'epoch_2.pth')
    assert int(after['queue_ptr']) == 16  # 8 restored + 8 new keys
    assert torch.equal(after['queue'][:, :8], before['queue'][:, :8])  # restored, not re-drawn
    assert not torch.equal(after['queue'][:, 8:16], before['queue'][:, 8:16])  # new keys
    assert torch.equal(after['queue'][:, 16:], before['queue'][:, 16:])


def test_an_unset_teacher_checkpoint_stops_tools_train(
    train_tool, repo_root, tmp_path, monkeypatch
):
    """In process: the check runs before anything is built."""
    monkeypatch.chdir(repo_root)
    monkeypatch.setattr(sys, 'argv', ['train.py', MAIN_CONFIG, '--work-dir', str(tmp_path)])
    with pytest.raises(
        ValueError, match='teacher_checkpoint is not set: PCD distils a pretrained teacher'
    ):
        train_tool.main()
    monkeypatch.setattr(
        sys,
        'argv',
        [
            'train.py',
            MAIN_CONFIG,
            '--work-dir',
            str(tmp_path),
            '--cfg-options',
            'teacher_checkpoint=/no/teacher.pth',
        ],
    )
    with pytest.raises(
        FileNotFoundError, match='teacher_checkpoint /no/teacher.pth does not exist'
    ):
        train_tool.main()
