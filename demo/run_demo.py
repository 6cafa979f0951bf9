"""``make demo``: the whole chain on embedded data, CPU-only, in a few minutes.

1. pre-train a ResNet-18 teacher with PixPro on the embedded photographs (``data/demo``);
2. distil a ResNet-18 student from it with PCD (the teacher's projector as a SpatialAdaptor);
3. dense-probe random init, random init with its BN statistics re-estimated on the probe's
   train images (what "pre-training" gives a network that learnt nothing), the teacher and
   the student on the synthetic dense data (``mmpcd.evaluation.dense_probe``): a printed
   table, ``<work-dir>/summary.md`` (which says whether teacher and student beat the
   BN-adapted baseline) and ``<work-dir>/summary.png`` (probe mIoU per model, loss curves);
4. fine-tune the student for a few iterations in Mask R-CNN through the real R18-FPN benchmark
   config, overridden to synthetic COCO-style data, and report its COCO bbox/segm AP line.

``--images DIR`` pre-trains and distils on your own image folder, ``--teacher-checkpoint``
skips step 1 with your PixPro checkpoint of the demo's ResNet-18; ``--quick`` is the reduced
run the tests use.
"""

import argparse
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from typing import Dict, List, Optional, Tuple

from tqdm import tqdm

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

TEACHER_CONFIG = 'configs/pixpro/pixpro_resnet18_1xb16-lars-coslr-2e_demo.py'
STUDENT_CONFIG = 'configs/pcd/pcd_resnet18_mocov3-resnet18_1xb8-lars-coslr-2e_demo.py'
TRANSFER_CONFIG = 'demo/configs/mask-rcnn_r18_fpn_synthetic-coco.py'
# Training-log lines that advance a progress bar: epoch-based and iteration-based loops.
EPOCH_LINE = re.compile(r'Epoch\(train\)\s+\[(\d+)\]\[\s*(\d+)/(\d+)\]')
ITER_LINE = re.compile(r'Iter\(train\)\s+\[\s*(\d+)/(\d+)\]')
AP_LINE = re.compile(r'(bbox|segm)_mAP_copypaste: ([-\d. ]+)')
RANDOM, RANDOM_BN = 'random init', 'random init + BN re-estimated'
TEACHER, STUDENT = 'PixPro teacher', 'PCD student'


@dataclass
class Budget:
    """How long each step runs; ``--quick`` shrinks all of it."""

    teacher_epochs: int
    student_epochs: int
    max_images: Optional[int]  # pre-training images used (None: all)
    probe: Dict[str, int]
    transfer_iters: int
    coco_train: int
    coco_val: int


FULL = Budget(
    teacher_epochs=20,
    student_epochs=20,
    max_images=None,
    probe=dict(num_train=96, num_val=48, iters=300),
    transfer_iters=24,
    coco_train=32,
    coco_val=8,
)
QUICK = Budget(
    teacher_epochs=1,
    student_epochs=1,
    max_images=16,
    probe=dict(num_train=24, num_val=8, iters=40),
    transfer_iters=2,
    coco_train=8,
    coco_val=4,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default=osp.join(REPO, 'work_dirs', 'demo'))
    parser.add_argument(
        '--images',
        help='pre-train and distil on this image folder '
        '(searched recursively) instead of data/demo/images',
    )
    parser.add_argument(
        '--teacher-checkpoint',
        help='a PixPro checkpoint of the demo teacher '
        f'({TEACHER_CONFIG}); skips the teacher pre-training',
    )
    parser.add_argument(
        '--quick', action='store_true', help='a reduced run (about 2 minutes), as the tests use'
    )
    parser.add_argument('--seed', type=int, default=0, help='dense-probe seed')
    parser.add_argument(
        '--threads',
        type=int,
        default=1,
        help='torch/OpenMP threads of every step (default 1: tiny models gain little from '
        'more, and two threads on a core another job uses run many times slower)',
    )
    return parser.parse_args()


# ------------------------------------------------------------------------------ training
def train(label: str, config: str, work_dir: str, options: List[str], total: int) -> str:
    """Run tools/train.py with a progress bar of ``total`` iterations; return the run's log
    folder. The full output goes to ``<work_dir>/train.out``."""
    os.makedirs(work_dir, exist_ok=True)
    cmd = [
        sys.executable,
        osp.join(REPO, 'tools', 'train.py'),
        config,
        '--work-dir',
        work_dir,
        '--cfg-options',
        'default_hooks.logger.interval=1',
        *options,
    ]
    out_path = osp.join(work_dir, 'train.out')
    done = 0
    with open(out_path, 'w') as out, tqdm(total=total, desc=label, unit='it') as bar:
        process = subprocess.Popen(
            cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for line in process.stdout:
            out.write(line)
            step = _progress(line)
            if step is not None and step > done:
                bar.update(step - done)
                done = step
        process.wait()
    if process.returncode != 0:
        with open(out_path) as f:
            tail = ''.join(f.readlines()[-30:])
        raise SystemExit(
            f'[demo] {label} failed (exit code {process.returncode}); the end of '
            f'{out_path}:\n{tail}'
        )
    runs = [d for d in os.listdir(work_dir) if re.fullmatch(r'\d{8}_\d{6}', d)]
    return osp.join(work_dir, max(runs))


def _progress(line: str) -> Optional[int]:
    """Iterations done according to one log line, or None."""
    match = EPOCH_LINE.search(line)
    if match:
        epoch, it, per_epoch = map(int, match.groups())
        return (epoch - 1) * per_epoch + it
    match = ITER_LINE.search(line)
    return int(match.group(1)) if match else None


def last_checkpoint(work_dir: str) -> str:
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def losses(log_dir: str) -> List[float]:
    """Logged training losses (``vis_data/scalars.json``), one per iteration."""
    with open(osp.join(log_dir, 'vis_data', 'scalars.json')) as f:
        return [r['loss'] for r in map(json.loads, f) if 'loss' in r]


def data_options(images: Optional[str], max_images: Optional[int]) -> List[str]:
    options = []
    if images:
        options += [
            f'train_dataloader.dataset.data_root={osp.abspath(images)}',
            'train_dataloader.dataset.data_prefix=',
        ]
    if max_images:
        options.append(f'train_dataloader.dataset.indices={max_images}')
    return options


def epoch_options(epochs: int, cosine_index: int) -> List[str]:
    """Train ``epochs`` epochs with the demo config's cosine schedule (entry ``cosine_index``
    of its ``param_scheduler``) stretched to them."""
    return [
        f'train_cfg.max_epochs={epochs}',
        f'param_scheduler.{cosine_index}.T_max={epochs}',
        f'param_scheduler.{cosine_index}.end={epochs}',
    ]


def dataset_size(config: str, options: List[str]) -> Tuple[int, int]:
    """Images of ``config``'s train dataset (with the dataset ``options``) and its batch."""
    from mmengine.config import Config, DictAction

    from mmpcd.registry import DATASETS
    from mmpcd.utils import register_all_modules

    cfg = Config.fromfile(osp.join(REPO, config))
    parsed = {}
    for option in options:
        key, _, value = option.partition('=')
        if key.startswith('train_dataloader.dataset.'):
            parsed[key] = DictAction._parse_iterable(value)
    cfg.merge_from_dict(parsed)
    register_all_modules(init_default_scope=True)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    return len(dataset), cfg.train_dataloader.batch_size


# ------------------------------------------------------------------------------ steps
def check_images(args: argparse.Namespace, budget: Budget) -> Dict[str, int]:
    """Training iterations of the teacher and the student on the chosen images; refuses,
    before anything is trained, a folder too small for one batch (drop_last would train 0
    iterations)."""
    if args.images and not osp.isdir(args.images):
        raise SystemExit(f'[demo] --images {args.images} is not a folder.')
    steps = {}
    for name, config, epochs, index in (
        ('teacher', TEACHER_CONFIG, budget.teacher_epochs, 1),
        ('student', STUDENT_CONFIG, budget.student_epochs, 0),
    ):
        if name == 'teacher' and args.teacher_checkpoint:
            continue
        options = data_options(args.images, budget.max_images) + epoch_options(epochs, index)
        images, batch = dataset_size(config, options)
        if images < batch:
            raise SystemExit(
                f'[demo] {args.images or "data/demo/images"} has {images} image(s), fewer than '
                f'the {name} batch of {batch} ({config}, which drops incomplete batches), so '
                f'it would train 0 iterations: give --images a folder with at least {batch} '
                'images (searched recursively; .jpg, .png, ...).'
            )
        steps[name] = epochs * (images // batch)
    return steps


def pretrain_teacher(args: argparse.Namespace, budget: Budget, work_dir: str, total: int) -> Dict:
    options = data_options(args.images, budget.max_images) + epoch_options(budget.teacher_epochs, 1)
    log_dir = train('1/4 PixPro teacher', TEACHER_CONFIG, work_dir, options, total)
    return dict(checkpoint=last_checkpoint(work_dir), losses=losses(log_dir))


def distil_student(
    args: argparse.Namespace, budget: Budget, teacher: str, work_dir: str, total: int
) -> Dict:
    from mmpcd.converters.pcd_teacher import adaptor_options, write_pcd_teacher

    os.makedirs(work_dir, exist_ok=True)
    converted = osp.join(work_dir, 'teacher_mocov3-layout.pth')
    try:
        head = write_pcd_teacher(teacher, converted)
    except ValueError as error:
        raise SystemExit(f'[demo] {error}') from None
    if head.method != 'pixpro':
        raise SystemExit(
            f'[demo] {teacher} is not a PixPro checkpoint (no projector.mlp2.* '
            'keys): pass the checkpoint of a PixPro run of this demo.'
        )
    options = (
        [f'teacher_checkpoint={converted}', *adaptor_options(head)]
        + data_options(args.images, budget.max_images)
        + epoch_options(budget.student_epochs, 0)
    )
    log_dir = train('2/4 PCD student', STUDENT_CONFIG, work_dir, options, total)
    return dict(checkpoint=last_checkpoint(work_dir), losses=losses(log_dir))


def probe_all(budget: Budget, seed: int, teacher: str, student: str) -> Dict[str, float]:
    """Dense-probe mIoU (%) of random init (as is and with BN statistics re-estimated on the
    probe's train images), the teacher and the student."""
    from mmpcd.evaluation import DenseProbeSettings, run_dense_probe, synthetic_probe_data

    settings = DenseProbeSettings(**budget.probe, seed=seed, data_seed=seed)
    data = synthetic_probe_data(settings)
    models = [
        (RANDOM, TEACHER_CONFIG, None, False),
        (RANDOM_BN, TEACHER_CONFIG, None, True),
        (TEACHER, TEACHER_CONFIG, teacher, False),
        (STUDENT, STUDENT_CONFIG, student, False),
    ]
    scores = {}
    with tqdm(total=len(models) * settings.iters, desc='3/4 dense probes', unit='it') as bar:
        for name, config, checkpoint, adapt_bn in models:
            result = run_dense_probe(
                osp.join(REPO, config),
                checkpoint,
                replace(settings, adapt_bn=adapt_bn),
                progress=lambda i, n: bar.update(1),
                data=data,
            )
            scores[name] = 100 * result.miou
    return scores


def verdict(scores: Dict[str, float]) -> str:
    """Whether the trained models beat the BN-adapted random baseline."""
    base = scores[RANDOM_BN]
    parts = []
    for name in (TEACHER, STUDENT):
        if name in scores:
            beats = 'beats' if scores[name] > base else 'does NOT beat'
            parts.append(f'the {name} {beats} it ({scores[name] - base:+.1f})')
    return (
        f'Against random init with BN statistics re-estimated ({base:.1f} mIoU): '
        + '; '.join(parts)
        + '.'
    )


def transfer(budget: Budget, student: str, work_dir: str) -> Dict[str, str]:
    """A few Mask R-CNN iterations from the student; COCO AP lines by metric."""
    from mmpcd.datasets.synthetic_dense import export_coco

    train_set = export_coco(osp.join(work_dir, 'data', 'train'), budget.coco_train, seed=0)
    val_set = export_coco(osp.join(work_dir, 'data', 'val'), budget.coco_val, seed=1)
    iters = budget.transfer_iters
    options = [
        f'model.backbone.init_cfg.checkpoint={student}',
        f'train_cfg.max_iters={iters}',
        f'train_cfg.val_interval={iters}',
        f'default_hooks.checkpoint.interval={iters}',
        f'train_dataloader.dataset.ann_file={train_set["ann_file"]}',
        f'train_dataloader.dataset.data_prefix.img={train_set["img_dir"]}/',
        f'val_dataloader.dataset.ann_file={val_set["ann_file"]}',
        f'val_dataloader.dataset.data_prefix.img={val_set["img_dir"]}/',
        f'val_evaluator.ann_file={val_set["ann_file"]}',
    ]
    train('4/4 Mask R-CNN transfer', TRANSFER_CONFIG, work_dir, options, iters)
    with open(osp.join(work_dir, 'train.out')) as f:
        lines = dict(AP_LINE.findall(f.read()))
    if set(lines) != {'bbox', 'segm'}:
        raise SystemExit(f'[demo] no COCO AP lines in {work_dir}/train.out')
    return {k: v.strip() for k, v in lines.items()}


# ------------------------------------------------------------------------------ report
def plot(path: str, scores: Dict[str, float], curves: Dict[str, List[float]]) -> None:
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    # One loss panel per run: PixPro's loss is negative, PCD's an InfoNCE near log(queue).
    fig, axes = plt.subplots(1, 1 + len(curves), figsize=(4.5 * (1 + len(curves)), 4))
    axes[0].bar(
        list(scores),
        list(scores.values()),
        color=['grey', 'darkgrey', 'tab:blue', 'tab:orange'][-len(scores) :],
    )
    axes[0].tick_params(axis='x', labelrotation=15, labelsize=8)
    axes[0].set_ylabel('dense probe mIoU (%)')
    axes[0].set_title('Frozen backbone, linear 1x1 head')
    for axis, (name, values) in zip(axes[1:], curves.items()):
        axis.plot(range(1, len(values) + 1), values, marker='.' if len(values) < 10 else None)
        axis.set_xlabel('iteration')
        axis.set_ylabel('training loss')
        axis.set_title(f'{name} loss')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def summary(
    args: argparse.Namespace,
    scores: Dict[str, float],
    ap: Dict[str, str],
    paths: Dict[str, str],
    seconds: float,
) -> str:
    rows = '\n'.join(f'| {name} | {miou:.1f} |' for name, miou in scores.items())
    names = ('mAP', 'AP50', 'AP75', 'AP_s', 'AP_m', 'AP_l')
    return f"""# mmpcd demo {'(quick) ' if args.quick else ''}summary

Images: `{args.images or 'data/demo/images'}`; total time {seconds:.0f} s.

## Dense probe (synthetic val split, seed {args.seed})

| model | mIoU (%) |
|---|---|
{rows}

{verdict(scores)}

## Mask R-CNN R18-FPN transfer of the PCD student (synthetic COCO, a few iterations)

COCO AP ({' / '.join(names)}):

- bbox: {ap['bbox']}
- segm: {ap['segm']}

## Files

- teacher checkpoint: `{paths['teacher']}`
- student checkpoint: `{paths['student']}`
- transfer run: `{paths['transfer']}`
- plot: `summary.png`
"""


def main() -> None:
    args = parse_args()
    budget = QUICK if args.quick else FULL
    os.environ['OMP_NUM_THREADS'] = str(args.threads)  # inherited by the training steps
    import torch

    torch.set_num_threads(args.threads)
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    started = time.time()

    steps = check_images(args, budget)
    curves = {}
    if args.teacher_checkpoint:
        teacher = osp.abspath(args.teacher_checkpoint)
    else:
        run = pretrain_teacher(args, budget, osp.join(work_dir, 'teacher'), steps['teacher'])
        teacher, curves['PixPro teacher'] = run['checkpoint'], run['losses']
    run = distil_student(args, budget, teacher, osp.join(work_dir, 'student'), steps['student'])
    student, curves['PCD student'] = run['checkpoint'], run['losses']
    scores = probe_all(budget, args.seed, teacher, student)
    transfer_dir = osp.join(work_dir, 'transfer')
    ap = transfer(budget, student, transfer_dir)
    seconds = time.time() - started

    plot(osp.join(work_dir, 'summary.png'), scores, curves)
    text = summary(
        args, scores, ap, dict(teacher=teacher, student=student, transfer=transfer_dir), seconds
    )
    with open(osp.join(work_dir, 'summary.md'), 'w') as f:
        f.write(text)
    print('\n[mmpcd demo] dense probe mIoU (%):')
    for name, miou in scores.items():
        print(f'  {name:<30} {miou:5.1f}')
    print(f'[mmpcd demo] {verdict(scores)}')
    print(f'[mmpcd demo] Mask R-CNN transfer COCO AP  bbox: {ap["bbox"]}  segm: {ap["segm"]}')
    print(f'[mmpcd demo] done in {seconds:.0f} s; {work_dir}/summary.md and summary.png')


if __name__ == '__main__':
    main()
