"""Pre-train -> extract -> transfer, end to end on synthetic data through the benchmark
launchers (torchrun, one gloo process): mmdet Mask R-CNN and mmseg FCN train a couple of
iterations from the extracted backbone and are evaluated by mmdet's CocoMetric and mmseg's
IoUMetric."""

import glob
import os
import socket
import subprocess

import pytest
import torch

from mmpcd.datasets.synthetic_dense import export_coco

PRETRAIN = 'tests/data/configs/pixpro_r18_synthetic_demo.py'
DET = 'demo/configs/mask-rcnn_r18_fpn_synthetic-coco.py'
SEG = 'demo/configs/fcn_r18-d8_synthetic-seg.py'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run(cmd, cwd, **env):
    env = dict(os.environ, OMP_NUM_THREADS='1', **env)
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def log_of(work_dir) -> str:
    logs = sorted(glob.glob(os.path.join(work_dir, '*', '*.log')), key=os.path.getmtime)
    with open(logs[-1]) as f:
        return f.read()


@pytest.fixture(scope='module')
def extracted(tmp_path_factory, python, repo_root):
    """One epoch (10 iterations) of PixPro on synthetic images, backbone extracted."""
    work_dir = tmp_path_factory.mktemp('e2e_pretrain')
    run(
        [
            python,
            'tools/train.py',
            PRETRAIN,
            '--work-dir',
            str(work_dir),
            '--cfg-options',
            'train_cfg.max_epochs=1',
        ],
        repo_root,
    )
    dst = work_dir / 'backbone.pth'
    result = run(
        [
            python,
            'tools/model_converters/extract_backbone_weights.py',
            str(work_dir / 'epoch_1.pth'),
            str(dst),
        ],
        repo_root,
    )
    assert 'dropped: ppm (2), projector (8), target_net (129)' in result.stdout
    state = torch.load(dst, weights_only=True)['state_dict']
    assert len(state) == 120 and all(k.startswith('backbone.') for k in state)
    return str(dst)


def test_mask_rcnn_transfer_trains_and_reports_coco_ap(extracted, python, repo_root, tmp_path):
    train = export_coco(str(tmp_path / 'train'), num_images=8, seed=0)
    val = export_coco(str(tmp_path / 'val'), num_images=4, seed=1)
    work_dir = tmp_path / 'det'
    run(
        [
            'bash',
            'tools/benchmarks/mmdetection/dist_train_fpn.sh',
            DET,
            extracted,
            '1',
            '--cfg-options',
            'train_cfg.max_iters=2',
            'train_cfg.val_interval=2',
            f'train_dataloader.dataset.ann_file={train["ann_file"]}',
            f'train_dataloader.dataset.data_prefix.img={train["img_dir"]}/',
            f'val_dataloader.dataset.ann_file={val["ann_file"]}',
            f'val_dataloader.dataset.data_prefix.img={val["img_dir"]}/',
            f'val_evaluator.ann_file={val["ann_file"]}',
        ],
        repo_root,
        PYTHON=python,
        PORT=str(free_port()),
        WORK_DIR=str(work_dir),
    )
    log = log_of(work_dir)
    assert 'loaded 120/120 tensors of ResNet' in log
    assert 'Iter(train) [2/2]' in log and 'loss_mask' in log
    assert 'bbox_mAP_copypaste' in log and 'segm_mAP_copypaste' in log
    assert os.path.isfile(work_dir / 'iter_2.pth')


def test_fcn_transfer_trains_and_reports_miou(extracted, python, repo_root, tmp_path):
    work_dir = tmp_path / 'seg'
    run(
        [
            'bash',
            'tools/benchmarks/mmsegmentation/dist_train.sh',
            SEG,
            extracted,
            '1',
            '--cfg-options',
            'train_cfg.max_iters=2',
            'train_cfg.val_interval=2',
        ],
        repo_root,
        PYTHON=python,
        PORT=str(free_port()),
        WORK_DIR=str(work_dir),
    )
    log = log_of(work_dir)
    assert 'loaded 120/120 tensors of ResNet' in log
    assert 'decode.loss_ce' in log
    assert 'mIoU' in log.split('Iter(val)')[-1]


def test_launcher_refuses_a_missing_checkpoint(python, repo_root, tmp_path):
    result = subprocess.run(
        [
            'bash',
            'tools/benchmarks/mmdetection/dist_train_c4.sh',
            DET,
            str(tmp_path / 'none.pth'),
            '1',
        ],
        cwd=repo_root,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHON=python),
    )
    assert result.returncode == 2
    assert 'none.pth does not exist' in result.stderr


def test_launcher_options_for_c4_and_pixpro_fpn(repo_root, tmp_path):
    """What the launchers pass to train.py: C4 fills the RoI shared head too; INIT_FPN=1 sets
    an mmpcd Pretrained init_cfg with prefix neck. on the FPN (its config has none)."""
    ckpt = tmp_path / 'ckpt.pth'
    ckpt.write_bytes(b'')
    script = (
        'source tools/benchmarks/pretrain_options.sh; pretrain_options "$KIND" "$CKPT"; '
        'printf "%s\\n" "${PRETRAIN_OPTIONS[@]}"'
    )

    def options(kind, **env):
        result = subprocess.run(
            ['bash', '-c', script],
            cwd=repo_root,
            capture_output=True,
            text=True,
            env=dict(os.environ, KIND=kind, CKPT=str(ckpt), **env),
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    assert options('c4') == [
        '--cfg-options',
        f'model.backbone.init_cfg.checkpoint={ckpt}',
        f'model.roi_head.shared_head.init_cfg.checkpoint={ckpt}',
    ]
    assert options('backbone', INIT_FPN='1')[2:] == [
        'model.neck.init_cfg.type=Pretrained',
        'model.neck.init_cfg._scope_=mmpcd',
        f'model.neck.init_cfg.checkpoint={ckpt}',
        'model.neck.init_cfg.prefix=neck.',
    ]
