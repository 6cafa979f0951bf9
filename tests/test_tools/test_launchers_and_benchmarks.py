"""The Slurm launchers (with a fake ``srun``) and the op benchmark script (tiny sizes, no
timing assertion: speed targets are read from its ratios, never asserted in tests)."""

import json
import os
import stat
import subprocess

import pytest

from tests.conftest import REPO_ROOT


@pytest.fixture
def fake_srun(tmp_path):
    """A ``srun`` on PATH that records its arguments instead of launching anything."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    record = tmp_path / 'srun_args'
    srun = bin_dir / 'srun'
    srun.write_text(f'#!/usr/bin/env bash\nprintf "%s\\n" "$@" > {record}\n')
    srun.chmod(srun.stat().st_mode | stat.S_IEXEC)
    env = dict(
        os.environ,
        PATH=f'{bin_dir}:{os.environ["PATH"]}',
        GPUS='16',
        GPUS_PER_NODE='8',
        SRUN_ARGS='--quotatype=auto --exclusive',
    )
    return env, record


@pytest.mark.parametrize(
    'script,extra',
    [
        ('tools/slurm_train.sh', ['work_dirs/x', '--amp']),
        ('tools/slurm_test.sh', ['ckpt.pth', '--out', 'r.pkl']),
    ],
)
def test_slurm_launchers_call_srun_with_the_tool(fake_srun, script, extra):
    env, record = fake_srun
    config = 'configs/pixpro/pixpro_resnet18_1xb16-lars-coslr-2e_demo.py'
    subprocess.run(
        ['bash', script, 'gpu', 'job', config, *extra], cwd=REPO_ROOT, env=env, check=True
    )
    args = record.read_text().split('\n')
    assert args[:2] == ['-p', 'gpu'] and '--job-name=job' in args
    assert '--ntasks=16' in args and '--ntasks-per-node=8' in args and '--gres=gpu:8' in args
    assert '--quotatype=auto' in args and '--exclusive' in args  # SRUN_ARGS split into words
    tool = 'train.py' if 'train' in script else 'test.py'
    assert any(a.endswith(f'tools/{tool}') for a in args)
    assert config in args and '--launcher=slurm' in args and extra[-1] in args


def test_slurm_launcher_usage_error(fake_srun):
    env, _ = fake_srun
    result = subprocess.run(
        ['bash', 'tools/slurm_train.sh', 'gpu'],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and 'usage:' in result.stderr


def test_benchmark_ops_runs_and_writes_ratios(python, tmp_path):
    out = tmp_path / 'ops.json'
    subprocess.run(
        [
            python,
            'tools/analysis_tools/benchmark_ops.py',
            '--device',
            'cpu',
            '--sizes',
            '7',
            '--batch',
            '2',
            '--channels',
            '8',
            '--repeat',
            '1',
            '--ops',
            'masked_pair_cosine',
            '--json',
            str(out),
        ],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    rows = json.loads(out.read_text())['rows']
    assert {(row['op'], row['impl']) for row in rows} == {
        ('masked_pair_cosine', 'pytorch'),
        ('masked_pair_cosine', 'cpu'),
        ('masked_pair_cosine', 'auto'),
    }
    kernel = next(row for row in rows if row['impl'] == 'cpu')
    assert kernel['speedup'] > 0 and kernel['memory_ratio'] > 0


@pytest.fixture
def fake_python(tmp_path):
    """A ``PYTHON`` that records the arguments tools/dist_train.sh gives torchrun."""
    record = tmp_path / 'python_args'
    script = tmp_path / 'python'
    script.write_text(f'#!/usr/bin/env bash\nprintf "%s\\n" "$@" > {record}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script), record


@pytest.mark.parametrize(
    'launcher,config,shared_head',
    [
        (
            'mmdetection/dist_train_fpn.sh',
            'mmdetection/coco/mask-rcnn_r18_fpn_ms-1x_coco.py',
            False,
        ),
        (
            'mmdetection/dist_train_c4.sh',
            'mmdetection/voc0712/faster-rcnn_r50-c4_ms-24k_voc0712.py',
            True,
        ),
        (
            'mmsegmentation/dist_train.sh',
            'mmsegmentation/cityscapes/fcn_r18-d8_4xb2-40k_cityscapes-769x769.py',
            False,
        ),
        (
            'mmpretrain/dist_train_linear.sh',
            'mmpretrain/resnet50_pixpro-linear_8xb32-coslr-100e_in1k.py',
            False,
        ),
    ],
)
def test_benchmark_launchers_run_train_with_the_checkpoint(
    fake_python, tmp_path, launcher, config, shared_head
):
    python, record = fake_python
    ckpt = tmp_path / 'epoch_1.pth'
    ckpt.write_bytes(b'')
    config = f'configs/benchmarks/{config}'
    subprocess.run(
        ['bash', f'tools/benchmarks/{launcher}', config, str(ckpt), '4', '--amp'],
        cwd=REPO_ROOT,
        check=True,
        env=dict(os.environ, PYTHON=python),
    )
    args = record.read_text().split('\n')
    assert args[:2] == ['-m', 'torch.distributed.run'] and '--nproc_per_node=4' in args
    assert any(a.endswith('tools/train.py') for a in args) and config in args
    assert f'model.backbone.init_cfg.checkpoint={ckpt}' in args and '--amp' in args
    assert (f'model.roi_head.shared_head.init_cfg.checkpoint={ckpt}' in args) == shared_head


@pytest.mark.parametrize(
    'launcher',
    [
        'mmdetection/slurm_train_fpn.sh',
        'mmdetection/slurm_train_c4.sh',
        'mmsegmentation/slurm_train.sh',
    ],
)
def test_slurm_benchmark_launchers(fake_srun, tmp_path, launcher):
    env, record = fake_srun
    ckpt = tmp_path / 'epoch_1.pth'
    ckpt.write_bytes(b'')
    config = 'configs/benchmarks/mmdetection/voc0712/faster-rcnn_r50-c4_ms-24k_voc0712.py'
    subprocess.run(
        ['bash', f'tools/benchmarks/{launcher}', 'gpu', 'job', config, str(ckpt), 'work_dirs/x'],
        cwd=REPO_ROOT,
        env=env,
        check=True,
    )
    args = record.read_text().split('\n')
    assert config in args and '--launcher=slurm' in args
    assert f'model.backbone.init_cfg.checkpoint={ckpt}' in args
    assert (f'model.roi_head.shared_head.init_cfg.checkpoint={ckpt}' in args) == ('c4' in launcher)


@pytest.mark.parametrize(
    'launcher, args',
    [
        ('tools/dist_test.sh', ['cfg.py', 'ckpt.pth']),
        ('tools/benchmarks/mmdetection/dist_train_c4.sh', ['cfg.py', 'ckpt.pth']),
        ('tools/benchmarks/mmsegmentation/slurm_train.sh', ['gpu', 'job', 'cfg.py', 'ckpt.pth']),
    ],
)
def test_shared_argument_check_names_the_launcher_and_its_usage(launcher, args):
    """tools/launch.sh's require_args, used by every launcher."""
    result = subprocess.run(
        ['bash', launcher, *args], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f'usage: {launcher} ') and 'CHECKPOINT' in result.stderr


def test_dist_test_gives_torchrun_the_checkpoint_before_the_options(fake_python):
    python, record = fake_python
    subprocess.run(
        ['bash', 'tools/dist_test.sh', 'cfg.py', 'ckpt.pth', '2', '--out', 'r.pkl'],
        cwd=REPO_ROOT,
        check=True,
        env=dict(os.environ, PYTHON=python, PORT='29611'),
    )
    args = record.read_text().split('\n')
    tool = next(i for i, a in enumerate(args) if a.endswith('tools/test.py'))
    assert args[tool + 1 : tool + 7] == [
        'cfg.py',
        'ckpt.pth',
        '--launcher',
        'pytorch',
        '--out',
        'r.pkl',
    ]
    assert '--nproc_per_node=2' in args and '--master_port=29611' in args
