"""MasKD end to end: teacher -> stage 1 (tokens) -> stage 2 -> exported student in plain
mmdet/mmseg, on the synthetic data. Detection goes through tools/train.py (with resume),
segmentation through the same runner in-process."""

import os
import os.path as osp
import subprocess

import pytest
import torch

from projects.maskd.tools.export_student import export_student

from .helpers import (
    DET,
    DET_KD,
    DET_TOKENS,
    REPO_ROOT,
    SEG,
    SEG_KD,
    SEG_TOKENS,
    TINY,
    batch,
    build,
    load_config,
    save_weights,
)


def train(python, config, work_dir, *options):
    # projects/ is imported from the repository root (see the project README).
    env = dict(os.environ, PYTHONPATH=REPO_ROOT, OMP_NUM_THREADS='1')
    cmd = [python, 'tools/train.py', osp.join(TINY, config), '--work-dir', str(work_dir)]
    if options:
        cmd += ['--cfg-options', *options]
    result = subprocess.run(
        cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0:
        raise AssertionError(f'{cmd} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}')
    return result


def read_state(path) -> dict:
    from mmpcd.utils.checkpoint import read_checkpoint

    return read_checkpoint(path)['state_dict']  # training checkpoints read weights-only


def run_in_process(name: str, work_dir, **options):
    """Train with the runner tools/train.py builds, in this process (saves a start-up)."""
    from mmpcd.engine import build_runner

    cfg = load_config(name)
    cfg.merge_from_dict(options)
    cfg.work_dir = str(work_dir)
    build_runner(cfg).train()


@pytest.fixture(scope='module')
def det_tokens(tmp_path_factory, python):
    """A random tiny teacher and 4 iterations of stage 1 on it."""
    root = tmp_path_factory.mktemp('det')
    torch.manual_seed(0)
    teacher = save_weights(build(load_config(DET).model), root / 'teacher.pth')
    train(
        python,
        DET_TOKENS,
        root / 'stage1',
        f'model.teacher_ckpt={teacher}',
        'train_cfg.max_iters=4',
    )
    return teacher, root / 'stage1' / 'maskd_tokens.pth'


def test_stage1_writes_a_token_file_naming_its_teacher(det_tokens):
    teacher, tokens = det_tokens
    saved = torch.load(tokens, weights_only=True)
    assert saved['meta']['maskd']['teacher_ckpt'] == teacher
    assert saved['meta']['maskd']['num_levels'] == 5 and saved['meta']['maskd']['iter'] == 4
    checkpoint = read_state(tokens.parent / 'iter_4.pth')
    assert all(k.startswith('mask_modules.') for k in checkpoint)  # no teacher weights
    for key, value in saved['state_dict'].items():
        torch.testing.assert_close(value, checkpoint[key])


def test_stage2_resumes_the_warmup_counter_and_exports_a_plain_student(
    det_tokens, python, tmp_path
):
    teacher, tokens = det_tokens
    # The first run in-process (saves a start-up), the resumed one through tools/train.py.
    run_in_process(
        DET_KD,
        tmp_path,
        **{
            'model.teacher_ckpt': teacher,
            'model.maskd_loss.tokens': str(tokens),
            'train_cfg.max_iters': 2,
            'default_hooks.checkpoint.interval': 2,
        },
    )
    assert int(read_state(tmp_path / 'iter_2.pth')['loss_maskd.num_iters']) == 2
    result = train(
        python,
        DET_KD,
        tmp_path,
        f'model.teacher_ckpt={teacher}',
        f'model.maskd_loss.tokens={tokens}',
        'train_cfg.max_iters=3',
        'resume=True',
    )
    log = open(
        max(
            (osp.join(dp, f) for dp, _, fs in os.walk(tmp_path) for f in fs if f.endswith('.log')),
            key=osp.getmtime,
        )
    ).read()
    assert 'resumed epoch: 0, iter: 2' in log, result.stdout[-2000:]
    assert 'Iter(train) [1/3]' not in log and 'loss_maskd' in log
    state = read_state(tmp_path / 'iter_3.pth')
    assert int(state['loss_maskd.num_iters']) == 3
    assert not any(k.startswith(('teacher.', 'loss_maskd.mask_modules')) for k in state)

    exported = tmp_path / 'student.pth'
    export_student(str(tmp_path / 'iter_3.pth'), str(exported))
    weights = torch.load(exported, weights_only=True)['state_dict']
    cfg = load_config(DET)
    detector = build(cfg.model)
    detector.load_state_dict(weights, strict=True)
    for key, value in weights.items():
        torch.testing.assert_close(value, state['student.' + key])
    detector.eval()
    with torch.no_grad():
        results = detector.test_step(batch(cfg))
    assert len(results) == 2 and results[0].pred_instances.bboxes.shape[-1] == 4


def test_segmentation_stage1_then_stage2_then_plain_mmseg(tmp_path):
    torch.manual_seed(0)
    teacher = save_weights(build(load_config(SEG).model), tmp_path / 'teacher.pth')
    run_in_process(
        SEG_TOKENS, tmp_path / 'stage1', **{'model.teacher_ckpt': teacher, 'train_cfg.max_iters': 2}
    )
    tokens = tmp_path / 'stage1' / 'maskd_tokens.pth'
    assert torch.load(tokens, weights_only=True)['state_dict'][
        'mask_modules.0.mask_token'
    ].shape == (8, 6)
    run_in_process(
        SEG_KD,
        tmp_path / 'stage2',
        **{
            'model.teacher_ckpt': teacher,
            'model.maskd_loss.tokens': str(tokens),
            'train_cfg.max_iters': 2,
            'default_hooks.checkpoint.interval': 2,
        },
    )
    log = open(
        next(
            osp.join(dp, f)
            for dp, _, fs in os.walk(tmp_path / 'stage2')
            for f in fs
            if f.endswith('.log')
        )
    ).read()
    assert 'loss_maskd:' in log and 'loss_maskd_aux:' in log and 'decode.loss_ce' in log

    exported = tmp_path / 'student.pth'
    export_student(str(tmp_path / 'stage2' / 'iter_2.pth'), str(exported))
    cfg = load_config(SEG)
    segmentor = build(cfg.model)
    segmentor.load_state_dict(torch.load(exported, weights_only=True)['state_dict'], strict=True)
    segmentor.eval()
    with torch.no_grad():
        results = segmentor.test_step(batch(cfg))
    assert results[0].pred_sem_seg.data.shape[-2:] == (64, 64)


def test_mobilenetv2_student_trains_through_tools_train_and_loads_into_mmseg(python, tmp_path):
    """The DeepLabV3-MobileNetV2 student (issue 16): no auxiliary head, decode-head logits
    only; its export loads into the mmseg segmentor, whose keys are those of the full-size
    student config's."""
    from projects.maskd.maskd import MaskModule, save_tokens

    mbv2_kd = 'maskd_logits_fcn_r18-d8_deeplabv3_mobilenetv2_tiny_synthetic-seg.py'
    torch.manual_seed(0)
    teacher = save_weights(build(load_config(SEG).model), tmp_path / 'teacher.pth')
    tokens = str(tmp_path / 'tokens.pth')
    save_tokens(tokens, torch.nn.ModuleList([MaskModule(6, 8, weight_mask=False)]))
    train(
        python,
        mbv2_kd,
        tmp_path / 'kd',
        f'model.teacher_ckpt={teacher}',
        f'model.maskd_loss.tokens={tokens}',
        'train_cfg.max_iters=2',
        'default_hooks.checkpoint.interval=2',
    )
    log = open(
        next(
            osp.join(dp, f)
            for dp, _, fs in os.walk(tmp_path / 'kd')
            for f in fs
            if f.endswith('.log')
        )
    ).read()
    assert 'loss_maskd:' in log and 'loss_maskd_aux' not in log and 'aux.loss_ce' not in log

    exported = tmp_path / 'student.pth'
    export_student(str(tmp_path / 'kd' / 'iter_2.pth'), str(exported))
    cfg = load_config(mbv2_kd)
    segmentor = build(cfg.model.student)
    weights = torch.load(exported, weights_only=True)['state_dict']
    segmentor.load_state_dict(weights, strict=True)
    full = load_config(
        osp.join(
            '..',
            'maskd_logits_deeplabv3_r101_deeplabv3_mobilenetv2_8xb2-40k_cityscapes-512x1024.py',
        )
    )
    full.model.student.pretrained = None
    assert set(build(full.model.student).state_dict()) == set(weights)
    segmentor.eval()
    with torch.no_grad():
        results = segmentor.test_step(batch(cfg))
    assert results[0].pred_sem_seg.data.shape[-2:] == (64, 64)
