"""Training-step time and memory of mmpcd's algorithms against their peers, in one run.

For each algorithm the same config, batch and input are trained for a few steps with mmpcd's
implementation and with the peer. It prints the median step time (forward + backward + SGD
step) and the peak extra memory of one step, and mmpcd / peer ratios. Every measurement runs
in a fresh subprocess, and ``--rounds`` alternate the two implementations (peer, mmpcd, peer,
mmpcd, ...) and report medians, because one CPU run's peak RSS and step time vary by several
percent with allocator state and machine load.

- ``densecl``: peer = ``mmpretrain.models.DenseCL``, built from the same config with the
  peer's neck and the same weights (ResNet of ``--depth``).
- ``pcd``: PCD with a ResNet-18 student (with MHSA) and a random ResNet-50 MoCo v3-shaped
  teacher, K = ``--queue-len``; peer = the same model with the reference's unchunked
  (N*H*W, 1+K) logits (``PCDHead(chunk_size=0)``), mmpcd = the chunked head.
- ``pixpro``: PixPro (the recipe's heads: 1x1-conv projector 4096 -> 256, one-layer PPM, no
  instance branch) against mmpretrain's ``BYOL`` with the same ResNet of ``--depth``, batch and
  input: the closest peer, with the same four backbone passes per step.
- ``pcd_head``: the pixel InfoNCE alone on (``--batch``, 256, 7, 7) maps (the config's map at
  224 px), forward + backward, unchunked vs chunked: the memory the head itself needs.

Example::

    python tools/analysis_tools/benchmark_train.py --algos densecl --depth 50 --batch 16
    python tools/analysis_tools/benchmark_train.py --algos pcd --batch 8 --size 224 --rounds 2
    python tools/analysis_tools/benchmark_train.py --algos pcd_head --batch 128 --rounds 1
    python tools/analysis_tools/benchmark_train.py --algos pixpro --depth 50 --batch 8 --rounds 3
"""

import argparse
import json
import os.path as osp
import statistics
import subprocess
import sys
from typing import Callable, Dict, List

import torch

# benchmark_timing.py lives beside the benchmark scripts (tools/ is not a package).
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from benchmark_timing import median_time, peak_extra_memory  # noqa: E402

ALGOS = ('densecl', 'pixpro', 'pcd', 'pcd_head')
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--algos', nargs='+', default=list(ALGOS), choices=ALGOS)
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--depth', type=int, default=50, help='ResNet depth (DenseCL, PixPro)')
    parser.add_argument('--queue-len', type=int, default=65536, help='PCD queue length K')
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--size', type=int, default=224, help='input side in pixels')
    parser.add_argument('--repeat', type=int, default=5, help='timed steps per measurement')
    parser.add_argument(
        '--rounds',
        type=int,
        default=3,
        help='alternating measurements per implementation (medians reported)',
    )
    parser.add_argument('--threads', type=int, help='torch threads; default: torch\'s')
    parser.add_argument(
        '--clock',
        default='wall',
        choices=['wall', 'cpu'],
        help='cpu: process CPU time per step (CPU device): the work of a step, '
        'unaffected by other jobs on a shared machine',
    )
    parser.add_argument('--json', help='also write the results to this file')
    parser.add_argument('--measure', nargs=2, metavar=('ALGO', 'IMPL'), help=argparse.SUPPRESS)
    return parser.parse_args()


def densecl_models(depth: int, batch: int):
    """mmpcd's and mmpretrain's DenseCL from one config, with identical weights."""
    from mmpcd.registry import MODELS
    from mmpcd.utils import register_all_modules

    register_all_modules()
    channels = 512 if depth < 50 else 2048
    common = dict(
        queue_len=batch * 64,
        feat_dim=128,
        momentum=0.001,
        loss_lambda=0.5,
        backbone=dict(type='ResNet', depth=depth, norm_cfg=dict(type='BN')),
        head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2),
        data_preprocessor=dict(
            type='SelfSupDataPreprocessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            to_rgb=True,
        ),
    )
    neck = dict(in_channels=channels, hid_channels=channels, out_channels=128, num_grid=None)
    ours = MODELS.build(dict(type='DenseCL', neck=dict(type='DenseProjection', **neck), **common))
    peer = MODELS.build(
        dict(type='mmpretrain.DenseCL', neck=dict(type='mmpretrain.DenseCLNeck', **neck), **common)
    )
    peer.load_state_dict(ours.state_dict())
    return dict(mmpcd=ours, peer=peer)


def pcd_models(queue_len: int):
    """PCD (ResNet-18 student, ResNet-50 teacher) with the chunked and the unchunked head and
    identical weights."""
    from mmengine.config import Config

    from mmpcd.registry import MODELS
    from mmpcd.utils import register_all_modules

    register_all_modules()
    cfg = Config.fromfile(
        osp.join(
            REPO_ROOT,
            'configs',
            'pcd',
            'pcd_resnet18_mocov3-resnet50_8xb128-lars-coslr-100e_in1k.py',
        )
    )
    cfg.model.update(queue_len=queue_len, data_preprocessor=cfg.data_preprocessor)
    cfg.model.teacher.checkpoint = 'random'
    chunked = MODELS.build(cfg.model)
    chunked.init_weights()
    cfg.model.head.chunk_size = 0
    unchunked = MODELS.build(cfg.model)
    unchunked.load_state_dict(chunked.state_dict())
    return dict(mmpcd=chunked, peer=unchunked)


def pixpro_models(depth: int):
    """mmpcd's PixPro and mmpretrain's BYOL on the same ResNet (random weights: the step
    cost does not depend on them)."""
    from mmengine.logging import MessageHub

    from mmpcd.registry import MODELS
    from mmpcd.utils import register_all_modules

    register_all_modules()
    # Both momentum targets are CosineEMAs, which read the run length from the message hub.
    MessageHub.get_current_instance().update_info('max_iters', 1000)
    channels = 512 if depth < 50 else 2048
    common = dict(
        backbone=dict(
            type='ResNet',
            depth=depth,
            out_indices=(3,),
            norm_cfg=dict(type='BN'),
            zero_init_residual=True,
        ),
        data_preprocessor=dict(
            type='SelfSupDataPreprocessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            to_rgb=True,
        ),
    )
    ours = MODELS.build(
        dict(
            type='PixPro',
            **common,
            base_momentum=0.01,
            projector=dict(
                type='DenseProjection',
                in_channels=channels,
                hid_channels=4096,
                out_channels=256,
                with_global=False,
                norm_cfg=dict(type='BN'),
            ),
            ppm=dict(type='PPM', channels=256, num_layers=1, gamma=2.0),
            head=dict(type='PixProHead', pos_ratio=0.7),
        )
    )
    mlp = dict(type='mmpretrain.NonLinearNeck', hid_channels=4096, out_channels=256, num_layers=2)
    peer = MODELS.build(
        dict(
            type='mmpretrain.BYOL',
            **common,
            base_momentum=0.01,
            neck=dict(mlp, in_channels=channels, with_avg_pool=True),
            head=dict(
                type='mmpretrain.LatentPredictHead',
                loss=dict(type='mmpretrain.CosineSimilarityLoss'),
                predictor=dict(mlp, in_channels=256, with_avg_pool=False),
            ),
        )
    )
    return dict(mmpcd=ours, peer=peer)


def make_head_step(batch: int, queue_len: int, chunk_size, device: str) -> Callable:
    """Forward + backward of the pixel InfoNCE on (batch, 256, 7, 7) maps."""
    import torch.nn.functional as F

    from mmpcd.models.losses import pcd_infonce_loss

    generator = torch.Generator().manual_seed(0)
    student = torch.randn(batch, 256, 7, 7, generator=generator).to(device).requires_grad_()
    teacher = torch.randn(batch, 256, 7, 7, generator=generator).to(device)
    queue = F.normalize(torch.randn(256, queue_len, generator=generator), dim=0).to(device)

    def step():
        student.grad = None
        pcd_infonce_loss(student, teacher, queue, 0.2, chunk_size=chunk_size).backward()

    return step


def make_step(model: torch.nn.Module, batch: int, size: int, device: str) -> Callable:
    """One SGD training step on a fixed random two-view batch (overlapping crop boxes in
    ``coord`` for the algorithms that read them)."""
    import numpy as np
    from mmpretrain.structures import DataSample

    model.to(device).train()
    generator = torch.Generator().manual_seed(0)
    views = [
        torch.randint(0, 256, (batch, 3, size, size), generator=generator, dtype=torch.uint8).to(
            device
        )
        for _ in range(2)
    ]
    coord = np.array([[0.1, 0.1, 0.8, 0.8], [0.9, 0.2, 0.25, 0.95]], dtype=np.float32)
    samples = [DataSample(metainfo=dict(coord=coord)) for _ in range(batch)]
    optimizer = torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad], lr=0.03, momentum=0.9
    )

    def step():
        data = model.data_preprocessor(dict(inputs=views, data_samples=samples), True)
        losses = model(**data, mode='loss')
        optimizer.zero_grad()
        sum(losses.values()).backward()
        optimizer.step()

    return step


def measure_here(algo: str, impl: str, args: argparse.Namespace) -> Dict:
    if algo == 'pcd_head':
        step = make_head_step(
            args.batch, args.queue_len, None if impl == 'mmpcd' else 0, args.device
        )
    else:
        models = dict(
            densecl=lambda: densecl_models(args.depth, args.batch),
            pixpro=lambda: pixpro_models(args.depth),
            pcd=lambda: pcd_models(args.queue_len),
        )[algo]()
        step = make_step(models[impl], args.batch, args.size, args.device)
    if args.device == 'cpu':
        step()  # the first step allocates the optimizer state and the queues' gradients
        memory = peak_extra_memory(step, 'cpu')
        seconds = median_time(step, args.repeat, 'cpu', getattr(args, 'clock', 'wall'))
    else:
        seconds = median_time(step, args.repeat, 'cuda')
        memory = peak_extra_memory(step, 'cuda')
    return dict(algo=algo, impl=impl, seconds=seconds, peak_extra_bytes=memory)


def measure(algo: str, impl: str, args: argparse.Namespace) -> Dict:
    if args.device == 'cuda':
        return measure_here(algo, impl, args)
    cmd = [
        sys.executable,
        __file__,
        '--device',
        'cpu',
        '--depth',
        str(args.depth),
        '--batch',
        str(args.batch),
        '--size',
        str(args.size),
        '--repeat',
        str(args.repeat),
        '--queue-len',
        str(args.queue_len),
        '--clock',
        args.clock,
        '--measure',
        algo,
        impl,
    ]
    if args.threads:
        cmd += ['--threads', str(args.threads)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f'{algo}/{impl} failed:\n{result.stderr[-3000:]}')
    return json.loads(result.stdout.strip().splitlines()[-1])


def median_row(rows: List[Dict]) -> Dict:
    """Median time and memory of repeated measurements of one implementation, and the
    fastest time (other jobs on the machine only ever add time, so the minimum is the
    least disturbed measurement)."""
    row = dict(rows[0])
    for key in ('seconds', 'peak_extra_bytes'):
        row[key] = statistics.median(r[key] for r in rows)
        row[key + '_all'] = [r[key] for r in rows]
    row['seconds_min'] = min(row['seconds_all'])
    return row


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.measure:
        print(json.dumps(measure_here(*args.measure, args)))
        return
    print(
        f'device={args.device} ResNet-{args.depth} batch={args.batch} size={args.size} '
        f'queue_len={args.queue_len} repeat={args.repeat} rounds={args.rounds} '
        f'clock={args.clock} '
        f'torch={torch.__version__} threads={torch.get_num_threads()} '
        '(pixpro: peer = mmpretrain BYOL; pcd/pcd_head: peer = unchunked head, '
        'mmpcd = chunked head)'
    )
    rows: List[Dict] = []
    for algo in args.algos:
        runs: Dict[str, List[Dict]] = dict(peer=[], mmpcd=[])
        for _ in range(args.rounds):
            for impl in runs:
                runs[impl].append(measure(algo, impl, args))
        peer, ours = median_row(runs['peer']), median_row(runs['mmpcd'])
        for row in (peer, ours):
            print(
                f"{algo:<10}{row['impl']:<7}{row['seconds'] * 1e3:>10.1f} ms/step"
                f"{row['peak_extra_bytes'] / 2**20:>10.1f} MiB"
            )
        ours.update(
            time_ratio=ours['seconds'] / peer['seconds'],
            min_time_ratio=ours['seconds_min'] / peer['seconds_min'],
            memory_ratio=ours['peak_extra_bytes'] / max(peer['peak_extra_bytes'], 1),
        )
        print(
            f"{algo:<10}mmpcd / peer: time x{ours['time_ratio']:.3f} (medians), "
            f"x{ours['min_time_ratio']:.3f} (fastest rounds), "
            f"memory x{ours['memory_ratio']:.3f}"
        )
        rows += [peer, ours]
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(vars(args), rows=rows), f, indent=1)
        print(f'results written to {args.json}')


if __name__ == '__main__':
    main()
