"""One-command GPU check: kernels, op tests, AMP tests and training throughput at recipe size.

On a CUDA machine (``--device cuda``, the default when a GPU is visible) it

1. checks that ``mmpcd._ext`` is built with its CUDA kernels (``--build`` builds it:
   ``FORCE_CUDA=1 python setup.py build_ext --inplace`` for this GPU's architecture);
2. runs ``tests/test_ops`` (CUDA kernels against the references, all dtypes) and the CUDA
   cases of the AMP tests (``tests/test_models/test_autocast.py``) with pytest;
3. times the ops (``benchmark_ops.py``): float32 kernels and ``impl='auto'`` against the
   reference at 7^2-56^2, the tensor-core precisions and the half-input paths, with their
   errors against float64;
4. trains a few iterations of each pre-training algorithm from its config at its **real**
   size (ResNet-50 at 224 px; PCD's ResNet-18 student with a ResNet-50 teacher; the config's
   batch per GPU, halved only on out-of-memory) in fp32, fp16-AMP and bf16-AMP, with and without
   ``channels_last``, and the peers in the same run: PixPro and PixContrast vs mmpretrain's
   BYOL, DenseCL vs mmpretrain's DenseCL, PCD vs its student + teacher passes alone;
5. prints one table (img/s, peak memory, ratio to the peer, the workers a GPU needs at the
   measured per-worker pipeline rate) and writes everything to ``<out-dir>/gpu_check.json``
   and ``gpu_check.md``.

It keeps to ``--budget-s`` (default 420 s): measurements that would start later are listed as
skipped. ``--device cpu --quick`` runs the same code on narrowed networks at 64 px in seconds
(CI runs it, so the script cannot rot). Needs no network; see docs/en/get_started.md ("GPU
check") for preparing a machine that has only torch.

Example::

    python tools/analysis_tools/gpu_check.py --out-dir gpu_check
    python tools/analysis_tools/gpu_check.py --device cpu --quick --out-dir /tmp/check
"""

import argparse
import copy
import json
import math
import os
import os.path as osp
import statistics
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional, Tuple

import torch

HERE = osp.dirname(osp.abspath(__file__))
REPO_ROOT = osp.dirname(osp.dirname(HERE))
for path in (HERE, REPO_ROOT):
    if path not in sys.path:
        sys.path.insert(0, path)

import benchmark_data  # noqa: E402
import benchmark_ops  # noqa: E402

# name -> (config, peer name or None); a peer shares batch, input and precision.
MODELS = {
    'pixpro': ('configs/pixpro/pixpro_resnet50_8xb128-lars-coslr-100e_in1k.py', 'byol'),
    'pixcontrast': (
        'configs/pixcontrast/pixcontrast_resnet50_8xb128-lars-coslr-100e_in1k.py',
        'byol',
    ),
    'byol': ('mmpretrain::byol/byol_resnet50_16xb256-coslr-200e_in1k.py', None),
    'densecl': ('configs/densecl/densecl_resnet50_8xb32-coslr-200e_in1k.py', 'densecl_mmpretrain'),
    'densecl_mmpretrain': ('mmpretrain::densecl/densecl_resnet50_8xb32-coslr-200e_in1k.py', None),
    'pcd': (
        'configs/pcd/pcd_resnet18_mocov3-resnet50_8xb128-lars-coslr-100e_in1k.py',
        'pcd_passes',
    ),
    'pcd_passes': ('configs/pcd/pcd_resnet18_mocov3-resnet50_8xb128-lars-coslr-100e_in1k.py', None),
}
# The batch of a peer is its algorithm's (BYOL's own config says 256 per GPU).
BATCH_FROM = {'byol': 'pixpro', 'densecl_mmpretrain': 'densecl', 'pcd_passes': 'pcd'}
PRECISIONS = ('bf16', 'fp32', 'fp16')
# Pipeline that feeds each algorithm (benchmark_data.PIPELINES).
PIPELINE_OF = {
    'pixpro': 'pixpro',
    'pixcontrast': 'pixpro',
    'pcd': 'pixpro',
    'densecl': 'mocov2',
    'byol': 'byol (mmpretrain)',
}
RESNET_WIDTHS = (64, 128, 256, 512, 1024, 2048)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--device', choices=['cuda', 'cpu'], default='cuda' if torch.cuda.is_available() else 'cpu'
    )
    parser.add_argument(
        '--quick',
        action='store_true',
        help='a smoke run: networks 1/8 as wide at 64 px, batch 2, one step, fp32 '
        'and bf16 + channels_last only, the op benchmarks at 7^2 in-process',
    )
    parser.add_argument('--out-dir', default='gpu_check', help='where the JSON and table go')
    parser.add_argument('--models', nargs='+', default=list(MODELS), choices=MODELS)
    parser.add_argument('--precisions', nargs='+', default=list(PRECISIONS), choices=PRECISIONS)
    parser.add_argument(
        '--budget-s', type=float, default=420.0, help='start no measurement after this many seconds'
    )
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--steps', type=int, default=4, help='timed training steps (median)')
    parser.add_argument(
        '--build',
        action='store_true',
        help='build mmpcd._ext with CUDA first if it lacks the CUDA kernels',
    )
    parser.add_argument('--skip-tests', action='store_true')
    parser.add_argument('--skip-ops', action='store_true')
    args = parser.parse_args(argv)
    if args.quick:
        args.warmup, args.steps = 0, 1
    return args


def settings_to_run(args: argparse.Namespace) -> List[Tuple[str, bool]]:
    """(precision, channels_last) pairs: bf16 first, fp16 last, channels_last before NCHW
    (the targets need bf16 and fp32 most). Quick: fp32 NCHW and bf16 channels_last only."""
    if args.quick:
        return [s for s in (('fp32', False), ('bf16', True)) if s[0] in args.precisions]
    order = {p: i for i, p in enumerate(PRECISIONS)}
    return sorted(
        ((p, cl) for cl in (True, False) for p in args.precisions),
        key=lambda s: (order[s[0]], not s[1]),
    )


# ----------------------------------------------------------------------------- preparation


def build_extension() -> None:
    """``mmpcd._ext`` with CUDA kernels for this GPU, in place."""
    major, minor = torch.cuda.get_device_capability()
    env = dict(
        os.environ,
        FORCE_CUDA='1',
        TORCH_CUDA_ARCH_LIST=f'{major}.{minor}',
        MAX_JOBS=os.environ.get('MAX_JOBS', str(os.cpu_count() or 4)),
    )
    subprocess.run(
        [sys.executable, 'setup.py', 'build_ext', '--inplace'], cwd=REPO_ROOT, env=env, check=True
    )


def check_extension(device: str, build: bool) -> Dict:
    from mmpcd.ops import ext

    if device == 'cuda' and not ext.ext_has_cuda():
        if not build:
            raise SystemExit(
                'mmpcd._ext has no CUDA kernels: build it with `FORCE_CUDA=1 python '
                'setup.py build_ext --inplace` or pass --build.'
            )
        build_extension()
        raise SystemExit(
            'mmpcd._ext was built; run gpu_check.py again (a process loads an extension once).'
        )
    return dict(ext_built=ext.load_ext() is not None, ext_cuda=ext.ext_has_cuda())


def test_command(device: str) -> List[str]:
    """pytest on the op tests and the AMP tests' cases for ``device`` (the nvcc compile check
    is left out: the extension was just built)."""
    return [
        sys.executable,
        '-m',
        'pytest',
        '-q',
        '-p',
        'no:cacheprovider',
        'tests/test_ops',
        'tests/test_models/test_autocast.py',
        '--deselect',
        'tests/test_ops/test_cuda_compile.py::test_cuda_sources_compile_and_link',
        '-k',
        f'not test_autocast or {device}',
    ]


def run_tests(device: str) -> Dict:
    cmd = test_command(device)
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True)
    summary = (result.stdout.strip().splitlines() or [''])[-1]
    return dict(
        command=' '.join(cmd[1:]),
        returncode=result.returncode,
        summary=summary,
        seconds=time.perf_counter() - start,
        failures=result.stdout[-6000:] if result.returncode else '',
    )


def run_op_benchmarks(device: str, quick: bool) -> List[Dict]:
    """benchmark_ops.py runs: float32 (kernel, auto), the tensor-core precisions of the GEMM
    ops and the half-input paths."""
    shape = (
        [
            '--sizes',
            '7',
            '--batch',
            '2',
            '--channels',
            '8',
            '--repeat',
            '1',
            '--in-process',
            '--error-batch',
            '1',
        ]
        if quick
        else ['--sizes', '7', '14', '28', '56', '--repeat', '5']
    )
    gemm_ops = ['--ops', 'pixel_propagation', 'pixel_propagation_backward', 'dense_argmax_match']
    runs = [
        ['--variants', 'kernel', 'auto'],
        ['--precision', 'bf16', '--variants', 'kernel', 'auto', 'reference', *gemm_ops],
        [
            '--dtype',
            'bfloat16',
            '--variants',
            'kernel',
            'auto',
            'upcast',
            '--ops',
            'pixel_propagation',
            'pixel_propagation_backward',
            'dense_argmax_match',
            'masked_pair_cosine',
            'masked_pair_cosine_backward',
        ],
    ]
    if device == 'cuda':
        runs.insert(
            1, ['--precision', 'tf32', '--variants', 'kernel', 'auto', 'reference', *gemm_ops]
        )
    results = []
    for extra in runs:
        argv = ['--device', device, *shape, *extra]
        if device == 'cpu':
            argv += ['--threads', '1']
        rows = benchmark_ops.main(argv)
        results.append(dict(argv=argv, rows=rows))
    return results


# ----------------------------------------------------------------------------- models


def narrow_resnets(node, factor: int = 4) -> None:
    """Divide every ResNet's width by ``factor`` throughout a model config, and the input
    channels that follow from it (``in_channels`` of necks/heads, a SpatialAdaptor's first
    ``channels``), so that a recipe's model builds at a fraction of its cost."""
    if isinstance(node, dict):
        if node.get('type') in ('ResNet', 'mmpretrain.ResNet'):
            node.update(base_channels=64 // factor, stem_channels=64 // factor)
        for key, value in node.items():
            if key == 'in_channels' and isinstance(value, int) and value in RESNET_WIDTHS[3:]:
                node[key] = value // factor
            elif (
                key == 'in_channels'
                and isinstance(value, list)
                and all(v in RESNET_WIDTHS for v in value)
            ):
                node[key] = [v // factor for v in value]
            elif (
                key == 'channels'
                and isinstance(value, (list, tuple))
                and value[0] in RESNET_WIDTHS[3:]
            ):
                node[key] = (value[0] // factor, *value[1:])
            else:
                narrow_resnets(value, factor)
    elif isinstance(node, (list, tuple)):
        for value in node:
            narrow_resnets(value, factor)


def load_config(name: str, quick: bool):
    from mmengine.config import Config

    cfg = Config.fromfile(benchmark_data.config_path(MODELS[name][0]))
    if 'data_preprocessor' not in cfg.model:
        cfg.model.data_preprocessor = cfg.data_preprocessor
    if cfg.model.type == 'PCD':
        cfg.model.teacher.checkpoint = 'random'
    if quick:
        narrow_resnets(cfg.model, factor=8)
        if cfg.model.get('neck', {}).get('mhsa'):
            cfg.model.neck.mhsa.feat_size = 2  # 64 px / stride 32
    return cfg


class StudentTeacherPasses(torch.nn.Module):
    """PCD's networks without its head, pairing and queue: the student's forward + backward
    and the frozen teacher's forward on both views (PCD's peer: what its step must cost at
    least). The loss is a trivial function of the student maps."""

    def __init__(self, pcd: torch.nn.Module) -> None:
        super().__init__()
        self.data_preprocessor = pcd.data_preprocessor
        self.backbone, self.neck, self.teacher = pcd.backbone, pcd.neck, pcd.teacher

    def forward(self, inputs, data_samples=None, mode='loss'):
        # necks return per-level tuples of maps
        student = [level for view in inputs for level in self.neck(self.backbone(view))]
        with torch.no_grad():
            for view in inputs:
                self.teacher(view)
        return dict(loss=sum(level.float().pow(2).mean() for level in student))

    @staticmethod
    def parse_losses(losses):
        return losses['loss'], dict(loss=losses['loss'].detach())


def build_model(name: str, cfg, device: str) -> torch.nn.Module:
    """The config's model (SyncBN reverted to BN: one process), initialised, on ``device``."""
    from mmengine.logging import MessageHub
    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import DefaultScope

    from mmpcd.registry import MODELS as REGISTRY

    MessageHub.get_current_instance().update_info('max_iters', 1000)  # CosineEMA's run length
    scope = 'mmpretrain' if MODELS[name][0].startswith('mmpretrain::') else 'mmpcd'
    with DefaultScope.overwrite_default_scope(scope):
        model = REGISTRY.build(cfg.model) if scope == 'mmpcd' else _mmpretrain_build(cfg.model)
    model.init_weights()
    model = revert_sync_batchnorm(model)  # one process: SyncBN would be plain BN anyway
    if name == 'pcd_passes':
        model = StudentTeacherPasses(model)
    return model.to(device)


def _mmpretrain_build(cfg_model):
    from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS

    return MMPRETRAIN_MODELS.build(cfg_model)


def build_optim_wrapper(model: torch.nn.Module, cfg, precision: str, device: str):
    """The config's optimizer; AmpOptimWrapper (what ``--amp`` builds) for fp16/bf16 on CUDA.
    On the CPU (mmengine's AmpOptimWrapper needs CUDA) a plain OptimWrapper, and the step
    autocasts itself."""
    from mmengine.optim import build_optim_wrapper as build
    from mmengine.registry import DefaultScope

    optim_cfg = copy.deepcopy(cfg.optim_wrapper)
    if precision != 'fp32' and device == 'cuda':
        optim_cfg.update(
            type='AmpOptimWrapper',
            loss_scale='dynamic',
            dtype=dict(fp16='float16', bf16='bfloat16')[precision],
        )
    else:
        optim_cfg.update(type='OptimWrapper')
        optim_cfg.pop('loss_scale', None)
        optim_cfg.pop('dtype', None)
    with DefaultScope.overwrite_default_scope('mmpcd'):
        return build(model, optim_cfg)


def synthetic_batch(batch: int, size: int, device: str) -> dict:
    """Two uint8 views per image and overlapping crop boxes (the second view flipped for half
    of the images), as the data loader delivers them."""
    import numpy as np
    from mmpretrain.structures import DataSample

    generator = torch.Generator().manual_seed(0)
    views = [
        torch.randint(0, 256, (batch, 3, size, size), generator=generator, dtype=torch.uint8).to(
            device
        )
        for _ in range(2)
    ]
    samples = []
    for i in range(batch):
        coord = np.array([[0.1, 0.1, 0.8, 0.8], [0.2, 0.15, 0.9, 0.85]], dtype=np.float32)
        if i % 2:
            coord[1] = coord[1, [2, 1, 0, 3]]
        samples.append(DataSample(metainfo=dict(coord=coord)))
    return dict(inputs=views, data_samples=samples)


def make_step(
    model, optim_wrapper, data: dict, precision: str, channels_last: bool, device: str
) -> Callable[[], float]:
    """One training step as ``BaseModel.train_step`` (the optim wrapper's context, the
    preprocessor, the loss, ``update_params``), with the views in channels_last if asked."""
    import contextlib

    cpu_amp = device == 'cpu' and precision != 'fp32'
    dtype = dict(fp16=torch.float16, bf16=torch.bfloat16).get(precision)

    def step() -> float:
        autocast = torch.autocast('cpu', dtype=dtype) if cpu_amp else contextlib.nullcontext()
        with optim_wrapper.optim_context(model), autocast:
            processed = model.data_preprocessor(data, True)
            if channels_last:
                processed['inputs'] = [
                    v.contiguous(memory_format=torch.channels_last) for v in processed['inputs']
                ]
            losses = model(**processed, mode='loss')
        loss, _ = model.parse_losses(losses)
        optim_wrapper.update_params(loss)
        return float(loss.detach())

    return step


def measure_training(
    name: str,
    precision: str,
    channels_last: bool,
    args: argparse.Namespace,
    batches: Dict[str, int],
    cache: Dict[str, tuple],
) -> Dict:
    """img/s and peak memory of ``name``'s training step; halves the batch on OOM. Models are
    built once (``cache``, kept on the CPU between measurements)."""
    if name not in cache:
        cfg = load_config(name, args.quick)
        cache[name] = cfg, build_model(name, cfg, 'cpu')
    cfg, model = cache[name]
    batch = (
        2
        if args.quick
        else (batches.get(BATCH_FROM.get(name, name)) or cfg.train_dataloader.batch_size)
    )
    size = 64 if args.quick else 224
    row = dict(model=name, precision=precision, channels_last=channels_last, size=size)
    while batch >= 1:
        try:
            return dict(
                row, **_timed_steps(model, cfg, batch, size, precision, channels_last, args)
            )
        except torch.OutOfMemoryError:
            batch //= 2
            torch.cuda.empty_cache()
    return dict(row, error='out of memory at batch 1')


def _timed_steps(model, cfg, batch, size, precision, channels_last, args) -> Dict:
    device = args.device
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model.to(device=device, memory_format=memory_format).train()
    optim_wrapper = build_optim_wrapper(model, cfg, precision, device)
    step = make_step(
        model, optim_wrapper, synthetic_batch(batch, size, device), precision, channels_last, device
    )
    try:
        for _ in range(args.warmup):
            loss = step()
        if device == 'cuda':
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        times = []
        for _ in range(args.steps):
            start = time.perf_counter()
            loss = step()  # float(): synchronises
            times.append(time.perf_counter() - start)
        peak = torch.cuda.max_memory_allocated() if device == 'cuda' else None
    finally:
        del optim_wrapper, step
        model.zero_grad(set_to_none=True)
        model.to(device='cpu', memory_format=torch.contiguous_format)
        if device == 'cuda':
            torch.cuda.empty_cache()
    seconds = statistics.median(times)
    return dict(
        batch=batch,
        seconds=seconds,
        img_per_s=batch / seconds,
        peak_bytes=peak,
        loss=loss,
        finite=math.isfinite(loss),
    )


def add_ratios(rows: List[Dict]) -> None:
    """Step-time ratio to the peer (same precision and memory format) and, for every model,
    the speed-up of each precision over its fp32 step."""
    key = {(r['model'], r['precision'], r['channels_last']): r for r in rows if 'seconds' in r}
    for row in rows:
        if 'seconds' not in row:
            continue
        peer = MODELS[row['model']][1]
        other = key.get((peer, row['precision'], row['channels_last']))
        if other:
            row['peer'] = peer
            # time per image: a peer run at a halved batch stays comparable
            row['time_ratio_to_peer'] = other['img_per_s'] / row['img_per_s']
        fp32 = key.get((row['model'], 'fp32', row['channels_last']))
        if fp32:
            row['speedup_over_fp32'] = row['img_per_s'] / fp32['img_per_s']


TARGETS = (
    # (description, model, precision, field, comparison, bound)
    ('PixPro step <= x1.10 of BYOL (bf16 AMP)', 'pixpro', 'bf16', 'time_ratio_to_peer', '<=', 1.10),
    (
        'DenseCL step <= x1.00 of mmpretrain DenseCL',
        'densecl',
        'bf16',
        'time_ratio_to_peer',
        '<=',
        1.00,
    ),
    (
        'PCD step <= x1.15 of its student + teacher passes',
        'pcd',
        'bf16',
        'time_ratio_to_peer',
        '<=',
        1.15,
    ),
    (
        'bf16 AMP >= x1.8 faster than fp32 (PixPro)',
        'pixpro',
        'bf16',
        'speedup_over_fp32',
        '>=',
        1.8,
    ),
)


def check_targets(rows: List[Dict]) -> List[Dict]:
    results = []
    for text, model, precision, field, comparison, bound in TARGETS:
        values = [
            r[field]
            for r in rows
            if r['model'] == model and r['precision'] == precision and field in r
        ]
        if not values:
            results.append(dict(target=text, value=None, met=None))
            continue
        best = min(values) if comparison == '<=' else max(values)  # the better memory format
        met = best <= bound if comparison == '<=' else best >= bound
        results.append(dict(target=text, value=best, met=met))
    return results


def markdown_table(rows: List[Dict], workers: Dict[str, float]) -> str:
    lines = [
        '| model | precision | channels_last | batch | img/s | peak GiB | peer | time / peer '
        '| vs fp32 | workers/GPU |',
        '|' + '---|' * 10,
    ]
    for r in rows:
        if 'seconds' not in r:
            lines.append(
                f"| {r['model']} | {r['precision']} | {r['channels_last']} | | "
                f"{r.get('error', 'skipped')} | | | | | |"
            )
            continue
        peak = f"{r['peak_bytes'] / 2**30:.1f}" if r['peak_bytes'] else '-'
        ratio = f"x{r['time_ratio_to_peer']:.2f}" if 'time_ratio_to_peer' in r else ''
        speed = f"x{r['speedup_over_fp32']:.2f}" if 'speedup_over_fp32' in r else ''
        rate = workers.get(PIPELINE_OF.get(r['model'], ''))
        need = str(math.ceil(r['img_per_s'] / rate)) if rate else ''
        lines.append(
            f"| {r['model']} | {r['precision']} | {r['channels_last']} | {r['batch']} | "
            f"{r['img_per_s']:.0f} | {peak} | {r.get('peer', '')} | {ratio} | {speed} "
            f"| {need} |"
        )
    return '\n'.join(lines)


def environment(device: str) -> Dict:
    info = dict(
        torch=torch.__version__,
        cuda=torch.version.cuda,
        python=sys.version.split()[0],
        cpus=os.cpu_count(),
        device=device,
    )
    if device == 'cuda':
        info.update(
            gpu=torch.cuda.get_device_name(),
            capability=torch.cuda.get_device_capability(),
            cudnn=torch.backends.cudnn.version(),
            cudnn_allow_tf32=torch.backends.cudnn.allow_tf32,
            matmul_allow_tf32=torch.backends.cuda.matmul.allow_tf32,
        )
    return info


def main(argv: Optional[List[str]] = None) -> Dict:
    args = parse_args(argv)
    start = time.perf_counter()
    os.makedirs(args.out_dir, exist_ok=True)
    if args.device == 'cuda':
        torch.backends.cudnn.benchmark = True  # as mmengine's env_cfg(cudnn_benchmark=...) can
    report: Dict = dict(
        environment=environment(args.device), **check_extension(args.device, args.build)
    )
    print(json.dumps(report), flush=True)
    if not args.skip_tests:
        report['tests'] = run_tests(args.device)
        print(
            f"tests: {report['tests']['summary']} ({report['tests']['seconds']:.0f} s)", flush=True
        )
    if not args.skip_ops:
        report['ops'] = run_op_benchmarks(args.device, args.quick)
    data = benchmark_data.main(['--images', '8' if args.quick else '48'])
    workers = {row['pipeline']: row['img_per_cpu_second'] for row in data}
    report['data_loading'] = data

    rows: List[Dict] = []
    batches: Dict[str, int] = {}
    cache: Dict[str, tuple] = {}
    for precision, channels_last in settings_to_run(args):
        for name in args.models:
            if time.perf_counter() - start > args.budget_s:
                rows.append(
                    dict(
                        model=name,
                        precision=precision,
                        channels_last=channels_last,
                        error='skipped (time budget)',
                    )
                )
                continue
            row = measure_training(name, precision, channels_last, args, batches, cache)
            if 'batch' in row:
                batches.setdefault(name, row['batch'])
            rows.append(row)
            print(json.dumps(row), flush=True)
    add_ratios(rows)
    report.update(training=rows, targets=check_targets(rows), seconds=time.perf_counter() - start)
    table = markdown_table(rows, workers)
    targets = '\n'.join(
        f"- {t['target']}: "
        + (
            'not measured'
            if t['value'] is None
            else f"x{t['value']:.2f} ({'met' if t['met'] else 'missed'})"
        )
        for t in report['targets']
    )
    text = f"{table}\n\n{targets}\n"
    print(text)
    with open(osp.join(args.out_dir, 'gpu_check.json'), 'w') as f:
        json.dump(report, f, indent=1, default=str)
    with open(osp.join(args.out_dir, 'gpu_check.md'), 'w') as f:
        f.write(f"{json.dumps(report['environment'])}\n\n{text}")
    print(f"gpu_check: {report['seconds']:.0f} s, results in {args.out_dir}")
    return report


if __name__ == '__main__':
    main()
