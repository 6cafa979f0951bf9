"""The small dense benchmark: does each method learn better dense features than fair baselines?

``python tools/benchmarks/dense_bench.py [--quick] [--seeds 0 1 2] [--work-dir DIR] [--jobs 2]``

On 2 CPU cores, with the configs of ``configs/benchmarks/small`` (every method's real config
with the same small-scale changes: ResNet-18, 3200 synthetic 64 px images, 100 iterations x
32), for every seed:

1. pre-train DenseCL, PixPro, PixContrast, mmpretrain's MoCo v2 and BYOL, and the supervised
   reference on the images' dense labels (each run logs the online ``DenseProbeHook``);
2. distil two PCD students (ResNet-18, MobileNetV3-Large) from the self-supervised method
   whose dense probe is best on the first seed;
3. evaluate every backbone, and random init with and without BN statistics re-estimated on
   the probe's train images, with the frozen dense linear probe (mIoU) and a short FCN
   R18-D8 fine-tune (mIoU; ResNet-18 backbones only);
4. MasKD on the tiny detection pair: a supervised Faster R-CNN teacher (trained once, 3x the
   student budget), then per seed the student with and without MasKD (COCO box AP).

Writes ``<work-dir>/results.json`` (every number of every seed), ``results.md`` (mean ± std
tables), ``results.png`` and ``curves.json`` (training losses and online probes). Each
training runs ``tools/train.py`` in its own process with one thread, forked from a server that
has imported the OpenMMLab stack and generated the pre-training images once
(``train_server.py``); ``--jobs`` of them run at once.
``--quick`` (CI) runs the same pipeline at toy size: it checks that everything runs and
that the tables are complete, not the ranking.
"""

import argparse
import json
import os
import os.path as osp
import platform
import re
import resource
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from tqdm import tqdm

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from dense_bench_report import write_report  # noqa: E402
from train_server import TrainServer  # noqa: E402

SMALL = 'configs/benchmarks/small/'
FINETUNE_CONFIG = 'demo/configs/fcn_r18-d8_synthetic-seg.py'
EPOCH_LINE = re.compile(r'Epoch\(train\)\s+\[(\d+)\]\[\s*(\d+)/(\d+)\]')
ITER_LINE = re.compile(r'Iter\(train\)\s+\[\s*(\d+)/(\d+)\]')
RANDOM, RANDOM_BN = 'random init', 'random init + BN re-estimated'
RANDOM_ZERO_INIT = 'random init, zero-init residual'  # PixPro's and PixContrast's init
RANDOM_ZERO_INIT_BN = RANDOM_ZERO_INIT + ' + BN re-estimated'
RANDOM_MOBILENET = 'random MobileNetV3-L'
RANDOM_MOBILENET_BN = RANDOM_MOBILENET + ' + BN re-estimated'


@dataclass(frozen=True)
class Model:
    """A row of the benchmark.

    Attributes:
        name: Row label.
        group: ``baseline``, ``pixel`` / ``image`` (self-supervised, by the level of their
            loss), ``distilled`` or ``supervised``.
        config: Training config (relative to the repository); for baselines, the config whose
            backbone (and its initialisation) is probed.
        stages: Backbone outputs the probe concatenates.
        finetune: Whether the FCN R18-D8 fine-tune applies (a ResNet-18 backbone).
        adapt_bn: For baselines: re-estimate the BN statistics on the probe's train images.
        baseline: For trained models: the BN-adapted random baseline of the same network and
            initialisation, which the verdict compares with.
    """

    name: str
    group: str
    config: str
    stages: Tuple[int, ...] = (1, 2, 3)
    finetune: bool = True
    adapt_bn: bool = False  # baselines: re-estimate the BN statistics before probing
    baseline: str = RANDOM_BN  # trained models: the same network and init, BN-adapted


DENSECL = SMALL + 'densecl_resnet18_1xb32-coslr-100i_synthetic-64px.py'
PIXPRO = SMALL + 'pixpro_resnet18_1xb32-lars-coslr-100i_synthetic-64px.py'
PCD_MOBILENET = (
    SMALL + 'pcd_mobilenetv3-large_pixpro-resnet18_1xb32-lars-coslr-100i_synthetic-64px.py'
)
MOBILENET_STAGES = (6, 12, 16)
PRETRAINED = (
    Model('DenseCL', 'pixel', DENSECL),
    Model('PixPro', 'pixel', PIXPRO, baseline=RANDOM_ZERO_INIT_BN),
    Model(
        'PixContrast',
        'pixel',
        SMALL + 'pixcontrast_resnet18_1xb32-lars-coslr-100i_synthetic-64px.py',
        baseline=RANDOM_ZERO_INIT_BN,
    ),
    Model(
        'MoCo v2 (mmpretrain)',
        'image',
        SMALL + 'mocov2_resnet18_1xb32-coslr-100i_synthetic-64px.py',
    ),
    Model(
        'BYOL (mmpretrain)',
        'image',
        SMALL + 'byol_resnet18_1xb32-lars-coslr-100i_synthetic-64px.py',
    ),
    Model(
        'supervised (dense labels)',
        'supervised',
        SMALL + 'supervised-fcn_resnet18_1xb32-100i_synthetic-64px.py',
    ),
)
STUDENTS = (
    Model(
        'PCD ResNet-18 student',
        'distilled',
        SMALL + 'pcd_resnet18_pixpro-resnet18_1xb32-lars-coslr-100i_synthetic-64px.py',
    ),
    Model(
        'PCD MobileNetV3-L student',
        'distilled',
        PCD_MOBILENET,
        stages=MOBILENET_STAGES,
        finetune=False,
        baseline=RANDOM_MOBILENET_BN,
    ),
)
# Each trained network is compared with a random one of the same architecture and
# initialisation: "random init" is the ResNet-18 of DenseCL / MoCo v2 / BYOL / PCD
# (zero_init_residual=False); PixPro's recipe zero-initialises the last BN of every residual
# block, which probes differently (docs/en/dense_bench_investigations.md, question 1); the PCD
# MobileNetV3-L student has its own. The BN-adapted ones re-estimate their BN statistics.
BASELINES = (
    Model(RANDOM, 'baseline', DENSECL),
    Model(RANDOM_BN, 'baseline', DENSECL, finetune=False, adapt_bn=True),
    Model(RANDOM_ZERO_INIT, 'baseline', PIXPRO, finetune=False),
    Model(RANDOM_ZERO_INIT_BN, 'baseline', PIXPRO, finetune=False, adapt_bn=True),
    Model(RANDOM_MOBILENET, 'baseline', PCD_MOBILENET, MOBILENET_STAGES, finetune=False),
    Model(RANDOM_MOBILENET_BN, 'baseline', PCD_MOBILENET, MOBILENET_STAGES, False, adapt_bn=True),
)
# The mmseg-built supervised backbone is probed through an mmpretrain ResNet-18 definition.
PROBE_CONFIG = {'supervised': DENSECL}
DETECTOR = SMALL + 'faster-rcnn_r18_1xb8-100i_synthetic-64px.py'
TOKENS = SMALL + 'maskd-tokens_faster-rcnn_r18_1xb8-50i_synthetic-64px.py'
MASKD = SMALL + 'maskd_fpn_faster-rcnn_r18_faster-rcnn_r18_1xb8-100i_synthetic-64px.py'


@dataclass
class Budget:
    """Run lengths. ``None`` keeps the configs' own values (the full benchmark)."""

    iters: Optional[int]  # pre-training iterations
    batch: Optional[int]  # pre-training batch
    probe: Dict[str, int]  # DenseProbeSettings of the final evaluation
    online_probe: Optional[Dict[str, int]]  # the hook's settings (None: the configs')
    finetune_iters: int
    finetune_val: int
    det_iters: Optional[int]  # MasKD student iterations (teacher: 3x); None: the configs'
    token_iters: Optional[int]
    det_batch: Optional[int]


FULL = Budget(
    iters=None,
    batch=None,
    probe=dict(num_train=256, num_val=128, iters=300),
    online_probe=None,
    finetune_iters=40,
    finetune_val=64,
    det_iters=None,
    token_iters=None,
    det_batch=None,
)
# Constant lr (no schedulers): the compressed 5 % warm-ups would round to 0 iterations.
QUICK = Budget(
    iters=4,
    batch=4,
    probe=dict(num_train=8, num_val=4, iters=10),
    online_probe=dict(num_train=4, num_val=4, iters=2),
    finetune_iters=2,
    finetune_val=4,
    det_iters=2,
    token_iters=2,
    det_batch=2,
)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default=osp.join(REPO, 'work_dirs', 'dense_bench'))
    parser.add_argument(
        '--seeds',
        type=int,
        nargs='+',
        help='pre-training / probe / fine-tune seeds (default: 0 1 2; --quick: 0)',
    )
    parser.add_argument(
        '--jobs',
        type=int,
        default=2,
        help='trainings run at once, one thread each (default 2: 2 cores)',
    )
    parser.add_argument(
        '--quick',
        action='store_true',
        help='the whole pipeline at toy size (about 1.5 minutes on 2 cores), for CI',
    )
    parser.add_argument(
        '--resume',
        action='store_true',
        help='skip the tasks an interrupted run of this work dir finished '
        '(recorded in <work-dir>/state.json)',
    )
    parser.add_argument(
        '--report',
        action='store_true',
        help='only write the results of <work-dir>/state.json (an interrupted '
        'run: what finished so far), run nothing',
    )
    return parser.parse_args(argv)


# ------------------------------------------------------------------------------ tasks
@dataclass
class Task:
    """A unit of work: ``run()`` once every task named in ``deps`` has succeeded."""

    name: str
    run: Callable[[], None]
    deps: Sequence[str] = ()
    iters: int = 0  # training iterations it reports on the progress bar


class Progress:
    """Two bars: training iterations over all runs, and tasks done."""

    def __init__(self, iters: int, tasks: int) -> None:
        self.iters = tqdm(total=iters, desc='train iterations', unit='it', position=0)
        self.tasks = tqdm(total=tasks, desc='tasks', unit='task', position=1)
        self.lock = threading.Lock()
        self.reported: Dict[int, int] = {}  # thread -> iterations its current task reported

    def advance(self, iters: int) -> None:
        with self.lock:
            self.iters.update(iters)
            thread = threading.get_ident()
            self.reported[thread] = self.reported.get(thread, 0) + iters

    def run(self, task: 'Task') -> None:
        """Run ``task`` in this thread; when it succeeds, count the iterations its logs did
        not show (a run shorter than its logging interval)."""
        thread = threading.get_ident()
        with self.lock:
            self.reported[thread] = 0
        task.run()
        with self.lock:
            self.iters.update(max(0, task.iters - self.reported.pop(thread)))

    def done(self, name: str) -> None:
        with self.lock:
            self.tasks.set_postfix_str(name[-40:])
            self.tasks.update(1)

    def close(self) -> None:
        self.iters.close()
        self.tasks.close()


def run_tasks(
    tasks: List[Task],
    jobs: int,
    progress: Progress,
    done: Sequence[str] = (),
    on_done: Callable[[str], None] = lambda name: None,
) -> None:
    """Run ``tasks`` (in list order where ready) on ``jobs`` threads, except those named in
    ``done``; ``on_done(name)`` follows each success. The first failure stops new starts, lets
    the running ones finish and is raised."""
    done = set(done)
    pending = {t.name: t for t in tasks if t.name not in done}
    running = {}  # type: ignore
    failure: Optional[BaseException] = None
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        while pending or running:
            if failure is None:
                for name, task in list(pending.items()):
                    if len(running) >= jobs:
                        break
                    if all(d in done for d in task.deps):
                        running[pool.submit(progress.run, task)] = name
                        del pending[name]
            if not running:
                if failure is None:
                    raise RuntimeError(f'tasks whose dependencies never ran: {sorted(pending)}')
                break
            finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in finished:
                name = running.pop(future)
                error = future.exception()
                if error is not None and failure is None:
                    failure = error
                elif error is None:
                    done.add(name)
                    on_done(name)
                    progress.done(name)
    if failure is not None:
        raise failure


# ------------------------------------------------------------------------------ training
class Trainer:
    """Runs ``tools/train.py`` through a preloaded server (``train_server.py``: one fork per
    training, one thread each, output in ``train.out``)."""

    def __init__(self, progress: Progress, pregenerated: Sequence[dict] = ()) -> None:
        self.progress = progress
        self.commands: List[str] = []
        self.pregenerated = list(pregenerated)  # images the server generates once
        self.server: Optional[TrainServer] = None  # started by the first training
        self.server_lock = threading.Lock()

    def start(self, argv: List[str], out_path: str) -> int:
        with self.server_lock:
            if self.server is None:
                env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
                self.server = TrainServer(env, self.pregenerated)
        return self.server.start(argv, out_path)

    def __call__(self, config: str, work_dir: str, options: List[str]) -> Tuple[str, float]:
        """Train; returns the run's log folder (``<work_dir>/<timestamp>``) and the CPU
        seconds (user + system) the training used."""
        os.makedirs(work_dir, exist_ok=True)
        argv = [osp.join(REPO, config), '--work-dir', work_dir, '--cfg-options', *options]
        self.commands.append(' '.join([osp.join(REPO, 'tools', 'train.py'), *argv]))
        out_path = osp.join(work_dir, 'train.out')
        open(out_path, 'w').close()  # exists before the child writes: the reader follows it
        job = self.start(argv, out_path)
        reported, partial = 0, ''
        with open(out_path) as out:
            while True:
                answer = self.server.wait(job, timeout=0.5)
                *lines, partial = (partial + out.read()).split('\n')  # written since the last look
                for line in lines:
                    step = _progress(line)
                    if step is not None and step > reported:
                        self.progress.advance(step - reported)
                        reported = step
                if answer is not None:
                    break
        if answer['returncode'] != 0:
            with open(out_path) as f:
                tail = ''.join(f.readlines()[-25:])
            raise RuntimeError(
                f'{config} failed (exit code {answer["returncode"]}); the end of {out_path}:\n'
                f'{tail}'
            )
        runs = [d for d in os.listdir(work_dir) if re.fullmatch(r'\d{8}_\d{6}', d)]
        return osp.join(work_dir, max(runs)), answer['cpu_seconds']

    def close(self) -> None:
        if self.server is not None:
            self.server.close()


def _progress(line: str) -> Optional[int]:
    """Iterations done according to one training log line, or None."""
    match = EPOCH_LINE.search(line)
    if match:
        epoch, it, per_epoch = map(int, match.groups())
        return (epoch - 1) * per_epoch + it
    match = ITER_LINE.search(line)
    return int(match.group(1)) if match else None


def last_checkpoint(work_dir: str) -> str:
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def scalars(log_dir: str) -> List[dict]:
    with open(osp.join(log_dir, 'vis_data', 'scalars.json')) as f:
        return [json.loads(line) for line in f if line.strip()]


def curves_of(rows: List[dict]) -> Dict[str, list]:
    """Training loss per logged step and the online probe's mIoU, from ``scalars.json``."""
    return dict(
        loss=[(r['step'], r['loss']) for r in rows if 'loss' in r],
        probe=[(r['step'], r['dense_probe/mIoU']) for r in rows if 'dense_probe/mIoU' in r],
    )


# ------------------------------------------------------------------------------ the benchmark
@dataclass
class Bench:
    """The plan, and the results filled in as tasks finish (all under ``lock``)."""

    args: argparse.Namespace
    budget: Budget
    trainer: Trainer
    results: Dict[str, Dict[str, dict]] = field(default_factory=dict)
    curves: Dict[str, Dict[str, dict]] = field(default_factory=dict)
    maskd: Dict[str, Dict[str, float]] = field(default_factory=dict)
    teacher: Optional[str] = None
    checkpoints: Dict[Tuple[str, int], str] = field(default_factory=dict)
    started: float = field(default_factory=time.time)
    seconds_before: float = 0.0  # wall time of the earlier sessions of a resumed run
    cpu_before: float = 0.0  # and their CPU seconds
    load_before: List[float] = field(default_factory=list)  # and their load samples
    load: Optional['LoadSampler'] = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    probe_lock: threading.Lock = field(default_factory=threading.Lock)
    teacher_lock: threading.Lock = field(default_factory=threading.Lock)
    teacher_heads: Dict[int, object] = field(default_factory=dict)  # seed -> TeacherHead

    def save_state(self, done: Sequence[str]) -> None:
        """Everything measured so far and the finished tasks, for ``--resume``."""
        with self.lock:
            state = dict(
                done=sorted(done),
                results=self.results,
                curves=self.curves,
                maskd=self.maskd,
                teacher=self.teacher,
                checkpoints=[[n, s, p] for (n, s), p in self.checkpoints.items()],
                trainings=self.trainer.commands,
                seconds=self.seconds(),
                cpu_seconds=self.cpu_before + _cpu_so_far(),
                load=self.load_before + (self.load.samples if self.load else []),
            )
            path = self.work_dir('state.json')
            with open(path + '.tmp', 'w') as f:
                json.dump(state, f)
            os.replace(path + '.tmp', path)

    def load_state(self) -> List[str]:
        """Restore a saved state; the names of its finished tasks."""
        path = self.work_dir('state.json')
        if not osp.isfile(path):
            return []
        with open(path) as f:
            state = json.load(f)
        self.results, self.curves, self.maskd = state['results'], state['curves'], state['maskd']
        self.teacher = state['teacher']
        self.checkpoints = {(n, s): p for n, s, p in state['checkpoints']}
        self.trainer.commands[:] = state['trainings']
        self.seconds_before = state['seconds']
        self.cpu_before = state.get('cpu_seconds', 0.0)
        self.load_before = state.get('load', [])
        return state['done']

    def seconds(self) -> float:
        return self.seconds_before + time.time() - self.started

    def work_dir(self, *parts: object) -> str:
        return osp.join(osp.abspath(self.args.work_dir), *map(str, parts))

    def record(self, model: str, seed: int, **values) -> None:
        with self.lock:
            self.results.setdefault(model, {}).setdefault(str(seed), {}).update(values)

    # ---- pre-training
    def pretrain_options(self, model: Model, seed: int) -> List[str]:
        budget = self.budget
        options = [
            f'randomness.seed={seed}',
            f'default_hooks.logger.interval={1 if budget.iters else 5}',
        ]
        if budget.iters is not None:
            options.append('param_scheduler=[]')
            if model.group == 'supervised':
                options += [
                    f'train_cfg.max_iters={budget.iters}',
                    f'default_hooks.checkpoint.interval={budget.iters}',
                ]
            else:
                options.append(f'train_dataloader.dataset.num_images={budget.iters * budget.batch}')
            options.append(f'train_dataloader.batch_size={budget.batch}')
        if budget.online_probe is not None:
            index = probe_hook_index(model.config)
            options += [f'custom_hooks.{index}.interval={budget.iters // 2}'] + [
                f'custom_hooks.{index}.settings.{k}={v}' for k, v in budget.online_probe.items()
            ]
        return options

    def pretrain(self, model: Model, seed: int, extra: Callable[[], List[str]] = list) -> None:
        work_dir = self.work_dir(model.name.replace(' ', '_'), f'seed{seed}')
        started = time.time()
        log_dir, cpu = self.trainer(
            model.config, work_dir, self.pretrain_options(model, seed) + extra()
        )
        rows = scalars(log_dir)
        with self.lock:
            self.checkpoints[model.name, seed] = last_checkpoint(work_dir)
            self.curves.setdefault(model.name, {})[str(seed)] = curves_of(rows)
        self.record(model.name, seed, train_seconds=time.time() - started, train_cpu=cpu)

    def pcd_teacher_options(self, seed: int) -> List[str]:
        """Convert the chosen teacher's seed-``seed`` checkpoint; its PCD options."""
        from mmpcd.converters.pcd_teacher import adaptor_options, write_pcd_teacher

        source = self.checkpoints[self.teacher, seed]
        path = self.work_dir('teachers', f'seed{seed}_mocov3-layout.pth')
        os.makedirs(osp.dirname(path), exist_ok=True)
        # The students of one seed run in parallel: one converts, the others wait for it and
        # never read a half-written file.
        with self.teacher_lock:
            if seed not in self.teacher_heads:
                self.teacher_heads[seed] = write_pcd_teacher(source, path)
        return [f'teacher_checkpoint={path}', *adaptor_options(self.teacher_heads[seed])]

    def choose_teacher(self, seed: int) -> None:
        """The self-supervised method with the best probe mIoU on ``seed``."""
        candidates = [m.name for m in PRETRAINED if m.group in ('pixel', 'image')]
        scores = {name: self.results[name][str(seed)]['probe_miou'] for name in candidates}
        self.teacher = max(scores, key=scores.get)

    # ---- evaluation
    def probe(self, model: Model, seed: int, data) -> None:
        from mmpcd.evaluation import DenseProbeSettings, build_probe_backbone, probe_backbone

        settings = DenseProbeSettings(
            **self.budget.probe,
            stages=model.stages,
            seed=seed,
            data_seed=0,
            adapt_bn=model.adapt_bn,
        )
        checkpoint = None if model.group == 'baseline' else self.checkpoints[model.name, seed]
        config = osp.join(REPO, PROBE_CONFIG.get(model.group, model.config))
        with self.probe_lock:  # seeds torch's global generator: one probe at a time
            backbone, report = build_probe_backbone(config, checkpoint, model.stages, seed)
            if report is not None and (report.missing or report.wrong_shape):
                raise RuntimeError(
                    f'{model.name}: the probe backbone did not load fully from '
                    f'{checkpoint}: missing {report.missing[:4]}, wrong shape '
                    f'{report.wrong_shape[:4]}'
                )
            result = probe_backbone(backbone, data, settings)
        self.record(
            model.name, seed, probe_miou=100 * result.miou, probe_pixel_acc=100 * result.pixel_acc
        )

    def finetune(self, model: Model, seed: int) -> None:
        iters = self.budget.finetune_iters
        options = [
            f'randomness.seed={seed}',
            f'train_cfg.max_iters={iters}',
            f'train_cfg.val_interval={iters}',
            f'param_scheduler.0.end={iters}',
            f'val_dataloader.dataset.num_images={self.budget.finetune_val}',
            'default_hooks.checkpoint=None',
            'default_hooks.logger.interval=5',
        ]
        if model.group == 'baseline':
            options.append('model.backbone.init_cfg=None')
        else:
            checkpoint = self.checkpoints[model.name, seed]
            options.append(f'model.backbone.init_cfg.checkpoint={checkpoint}')
        log_dir, _ = self.trainer(
            FINETUNE_CONFIG,
            self.work_dir('finetune', model.name.replace(' ', '_'), f'seed{seed}'),
            options,
        )
        miou = [r['mIoU'] for r in scalars(log_dir) if 'mIoU' in r]
        self.record(model.name, seed, finetune_miou=miou[-1])

    # ---- MasKD
    def det_options(self, seed: int, iters: Optional[int]) -> List[str]:
        options = [f'randomness.seed={seed}']
        if iters is not None:
            options += [
                f'train_cfg.max_iters={iters}',
                f'train_cfg.val_interval={iters}',
                f'default_hooks.checkpoint.interval={iters}',
            ]
        if self.budget.det_batch is not None:
            options += [
                f'train_dataloader.batch_size={self.budget.det_batch}',
                'val_dataloader.dataset.num_images=8',
            ]
        return options

    def det_teacher(self) -> None:
        """The detector teacher (3x the student budget, seed 0) and its stage-1 tokens,
        shared by every seed's students."""
        if self.budget.det_iters is None:
            from mmengine.config import Config

            iters = Config.fromfile(osp.join(REPO, DETECTOR)).small_det_teacher_iters
        else:
            iters = 3 * self.budget.det_iters
        work_dir = self.work_dir('maskd', 'teacher')
        log_dir, _ = self.trainer(DETECTOR, work_dir, self.det_options(0, iters))
        self.checkpoints['det teacher', 0] = last_checkpoint(work_dir)
        self.maskd['teacher'] = {'0': _box_ap(log_dir)}
        tokens_dir = self.work_dir('maskd', 'tokens')
        options = [f'model.teacher_ckpt={self.checkpoints["det teacher", 0]}']
        if self.budget.token_iters is not None:
            t = self.budget.token_iters
            options += [
                f'train_cfg.max_iters={t}',
                f'param_scheduler.0.T_max={t}',
                f'param_scheduler.0.end={t}',
                f'default_hooks.checkpoint.interval={t}',
            ]
        if self.budget.det_batch is not None:
            options.append(f'train_dataloader.batch_size={self.budget.det_batch}')
        self.trainer(TOKENS, tokens_dir, options)

    def det_student(self, seed: int, with_maskd: bool) -> None:
        name = 'student + MasKD' if with_maskd else 'student'
        work_dir = self.work_dir('maskd', name.replace(' ', '').replace('+', '_'), f'seed{seed}')
        options = self.det_options(seed, self.budget.det_iters)
        if with_maskd:
            options += [
                f'model.teacher_ckpt={self.checkpoints["det teacher", 0]}',
                'model.maskd_loss.tokens=' + self.work_dir('maskd', 'tokens', 'maskd_tokens.pth'),
            ]
            if self.budget.det_iters is not None:
                warmup = self.budget.det_iters // 2
                options.append(f'model.maskd_loss.custom_mask_warmup={warmup}')
        log_dir, _ = self.trainer(MASKD if with_maskd else DETECTOR, work_dir, options)
        with self.lock:
            self.maskd.setdefault(name, {})[str(seed)] = _box_ap(log_dir)

    # ---- the plan
    def tasks(self) -> List[Task]:
        from mmpcd.evaluation import DenseProbeSettings, synthetic_probe_data

        data = synthetic_probe_data(DenseProbeSettings(**self.budget.probe, data_seed=0))
        seeds = self.args.seeds
        from mmengine.config import Config

        scale = Config.fromfile(osp.join(REPO, SMALL, '_base_', 'small_scale.py'))
        iters = self.budget.iters or scale.small_iters
        det_iters = self.budget.det_iters or scale.small_det_iters
        token_iters = self.budget.token_iters or scale.small_token_iters
        tasks = [
            Task('MasKD teacher + tokens', self.det_teacher, iters=3 * det_iters + token_iters)
        ]
        # Seed by seed (tasks start in list order when ready), so that an interrupted run
        # leaves whole seeds; the PCD teacher is chosen on the first seed's probes, so every
        # seed's students distil from the same method and need not wait for later seeds.
        # The baselines' probes (no training, seconds each) first: their seed spread is
        # known even when a run is cut short.
        first = seeds[0]
        for seed in seeds:
            for model in BASELINES:
                tasks.append(
                    Task(
                        f'probe {model.name} s{seed}',
                        lambda m=model, s=seed: self.probe(m, s, data),
                    )
                )
        for seed in seeds:
            for model in PRETRAINED:
                tasks.append(
                    Task(
                        f'train {model.name} s{seed}',
                        lambda m=model, s=seed: self.pretrain(m, s),
                        iters=iters,
                    )
                )
            for model in PRETRAINED:
                tasks.append(
                    Task(
                        f'probe {model.name} s{seed}',
                        lambda m=model, s=seed: self.probe(m, s, data),
                        deps=[f'train {model.name} s{seed}'],
                    )
                )
            if seed == first:
                tasks.append(
                    Task(
                        'choose the PCD teacher',
                        lambda: self.choose_teacher(first),
                        deps=[f'probe {m.name} s{first}' for m in PRETRAINED],
                    )
                )
            for model in STUDENTS:
                tasks.append(
                    Task(
                        f'train {model.name} s{seed}',
                        lambda m=model, s=seed: self.pretrain(
                            m, s, extra=lambda: self.pcd_teacher_options(s)
                        ),
                        deps=['choose the PCD teacher'],
                        iters=iters,
                    )
                )
                tasks.append(
                    Task(
                        f'probe {model.name} s{seed}',
                        lambda m=model, s=seed: self.probe(m, s, data),
                        deps=[f'train {model.name} s{seed}'],
                    )
                )
            for with_maskd in (False, True):
                tasks.append(
                    Task(
                        f'MasKD student{" + MasKD" * with_maskd} s{seed}',
                        lambda s=seed, w=with_maskd: self.det_student(s, w),
                        deps=['MasKD teacher + tokens'],
                        iters=det_iters,
                    )
                )
            for model in BASELINES + PRETRAINED + STUDENTS:
                if model.finetune:
                    deps = [] if model.group == 'baseline' else [f'train {model.name} s{seed}']
                    tasks.append(
                        Task(
                            f'fine-tune {model.name} s{seed}',
                            lambda m=model, s=seed: self.finetune(m, s),
                            deps=deps,
                            iters=self.budget.finetune_iters,
                        )
                    )
        return tasks


def pretraining_images(budget: Budget) -> List[dict]:
    """The synthetic images every pre-training of the run reads (and the detectors draw
    from), as :func:`mmpcd.datasets.pregenerate` arguments."""
    from mmengine.config import Config

    scale = Config.fromfile(osp.join(REPO, SMALL, '_base_', 'small_scale.py'))
    dataset = scale.small_train_dataset
    num_images = budget.iters * budget.batch if budget.iters else dataset.num_images
    return [dict(num_images=num_images, seed=dataset.seed, img_shape=list(dataset.img_shape))]


def _cpu_so_far() -> float:
    """CPU seconds of this process and its finished children."""
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def probe_hook_index(config: str) -> int:
    """Position of the DenseProbeHook in ``config``'s ``custom_hooks`` (for --cfg-options)."""
    from mmengine.config import Config

    hooks = Config.fromfile(osp.join(REPO, config)).get('custom_hooks', [])
    return next(i for i, hook in enumerate(hooks) if hook['type'] == 'DenseProbeHook')


def _box_ap(log_dir: str) -> float:
    """COCO box mAP (%) of a detector run's final validation."""
    values = [r['coco/bbox_mAP'] for r in scalars(log_dir) if 'coco/bbox_mAP' in r]
    if not values:
        raise RuntimeError(f'no coco/bbox_mAP in {log_dir}/vis_data/scalars.json')
    return 100 * values[-1]


class LoadSampler:
    """The 1-minute load average every ``period`` seconds while the benchmark runs."""

    def __init__(self, period: float = 30.0) -> None:
        self.samples = [os.getloadavg()[0]]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(period,), daemon=True)
        self._thread.start()

    def _run(self, period: float) -> None:
        while not self._stop.wait(period):
            self.samples.append(os.getloadavg()[0])

    def stop(self) -> List[float]:
        self._stop.set()
        self.samples.append(os.getloadavg()[0])
        return self.samples


def machine() -> Dict[str, object]:
    import torch

    cpu = platform.processor()
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(line.split(':', 1)[1].strip() for line in f if 'model name' in line)
    except (OSError, StopIteration):
        pass
    commit = subprocess.run(
        ['git', 'rev-parse', '--short', 'HEAD'], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    return dict(
        cpu=cpu,
        cores=os.cpu_count(),
        torch=torch.__version__,
        python=platform.python_version(),
        commit=commit or 'unknown',
    )


def main(argv=None) -> None:
    args = parse_args(argv)
    budget = QUICK if args.quick else FULL
    args.seeds = args.seeds or ([0] if args.quick else [0, 1, 2])
    os.environ['OMP_NUM_THREADS'] = '1'
    import torch

    torch.set_num_threads(1)  # the in-process probes: one core, like every training
    from mmpcd.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    os.makedirs(args.work_dir, exist_ok=True)
    progress = Progress(0, 0)
    bench = Bench(args, budget, Trainer(progress, pretraining_images(budget)))
    tasks = bench.tasks()
    done = set(bench.load_state() if args.resume or args.report else [])
    if args.report:
        progress.close()
        meta_now = dict(
            seconds=bench.seconds_before, cpu_seconds=bench.cpu_before, load=bench.load_before
        )
        not_run = [t.name for t in tasks if t.name not in done]
    else:
        bench.started = time.time()
        bench.load = LoadSampler()
        progress.iters.total = sum(t.iters for t in tasks if t.name not in done)
        progress.tasks.total = len(tasks) - len(done)

        def on_done(name: str) -> None:
            done.add(name)
            bench.save_state(done)

        try:
            run_tasks(tasks, args.jobs, progress, done, on_done)
        finally:
            progress.close()
            bench.trainer.close()
        meta_now = dict(
            seconds=bench.seconds(),
            cpu_seconds=bench.cpu_before + _cpu_so_far(),
            load=bench.load_before + bench.load.stop(),
        )
        not_run = []
    meta = dict(
        machine(),
        **meta_now,
        jobs=args.jobs,
        quick=args.quick,
        seeds=args.seeds,
        budget=asdict(budget),
        not_run=not_run,
        command=' '.join(
            ['python', 'tools/benchmarks/dense_bench.py']
            + (argv if argv is not None else sys.argv[1:])
        ),
        pcd_teacher=bench.teacher,
        trainings=bench.trainer.commands,
    )
    paths = write_report(
        args.work_dir,
        meta,
        bench.results,
        bench.maskd,
        bench.curves,
        order=[m.name for m in BASELINES + PRETRAINED + STUDENTS],
        groups={m.name: m.group for m in BASELINES + PRETRAINED + STUDENTS},
        baselines={m.name: m.baseline for m in PRETRAINED + STUDENTS},
    )
    print(f'\n[dense bench] done in {meta["seconds"] / 60:.1f} min; ' + ', '.join(paths))


if __name__ == '__main__':
    main()
