"""Training-step time and memory of mmpcd's algorithms against their peers, in one run.

For each algorithm the same config, batch and input are trained for a few steps with mmpcd's
implementation and with the peer (for DenseCL: ``mmpretrain.models.DenseCL``, built from the
same config with the peer's neck and the same weights). It prints the median step time
(forward + backward + SGD step) and the peak extra memory of one step, and mmpcd / peer
ratios. Every measurement runs in a fresh subprocess, and ``--rounds`` alternate the two
implementations (peer, mmpcd, peer, mmpcd, ...) and report medians, because one CPU run's
peak RSS and step time vary by several percent with allocator state and machine load.

Example::

    python tools/analysis_tools/benchmark_train.py --algos densecl --depth 50 --batch 16
"""
import argparse
import json
import statistics
import subprocess
import sys
from typing import Callable, Dict, List

import torch

from mmpcd.utils.benchmark import median_time, peak_extra_memory

ALGOS = ('densecl', )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--algos', nargs='+', default=list(ALGOS), choices=ALGOS)
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--depth', type=int, default=50, help='ResNet depth')
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--size', type=int, default=224, help='input side in pixels')
    parser.add_argument('--repeat', type=int, default=5, help='timed steps per measurement')
    parser.add_argument('--rounds', type=int, default=3,
                        help='alternating measurements per implementation (medians reported)')
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
        queue_len=batch * 64, feat_dim=128, momentum=0.001, loss_lambda=0.5,
        backbone=dict(type='ResNet', depth=depth, norm_cfg=dict(type='BN')),
        head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2),
        data_preprocessor=dict(type='SelfSupDataPreprocessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], to_rgb=True))
    neck = dict(in_channels=channels, hid_channels=channels, out_channels=128, num_grid=None)
    ours = MODELS.build(dict(type='DenseCL', neck=dict(type='DenseProjection', **neck), **common))
    peer = MODELS.build(
        dict(type='mmpretrain.DenseCL', neck=dict(type='mmpretrain.DenseCLNeck', **neck),
             **common))
    peer.load_state_dict(ours.state_dict())
    return dict(mmpcd=ours, peer=peer)


def make_step(model: torch.nn.Module, batch: int, size: int, device: str) -> Callable:
    """One SGD training step on a fixed random two-view batch."""
    from mmpretrain.structures import DataSample
    model.to(device).train()
    generator = torch.Generator().manual_seed(0)
    views = [torch.randint(0, 256, (batch, 3, size, size), generator=generator,
                           dtype=torch.uint8).to(device) for _ in range(2)]
    samples = [DataSample() for _ in range(batch)]
    optimizer = torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad], lr=0.03, momentum=0.9)

    def step():
        data = model.data_preprocessor(dict(inputs=views, data_samples=samples), True)
        losses = model(**data, mode='loss')
        optimizer.zero_grad()
        sum(losses.values()).backward()
        optimizer.step()

    return step


def measure_here(algo: str, impl: str, args: argparse.Namespace) -> Dict:
    models = {'densecl': densecl_models}[algo](args.depth, args.batch)
    step = make_step(models[impl], args.batch, args.size, args.device)
    if args.device == 'cpu':
        step()  # the first step allocates the optimizer state and the queues' gradients
        memory = peak_extra_memory(step, 'cpu')
        seconds = median_time(step, args.repeat, 'cpu')
    else:
        seconds = median_time(step, args.repeat, 'cuda')
        memory = peak_extra_memory(step, 'cuda')
    return dict(algo=algo, impl=impl, seconds=seconds, peak_extra_bytes=memory)


def measure(algo: str, impl: str, args: argparse.Namespace) -> Dict:
    if args.device == 'cuda':
        return measure_here(algo, impl, args)
    cmd = [sys.executable, __file__, '--device', 'cpu', '--depth', str(args.depth), '--batch',
           str(args.batch), '--size', str(args.size), '--repeat', str(args.repeat),
           '--measure', algo, impl]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f'{algo}/{impl} failed:\n{result.stderr[-3000:]}')
    return json.loads(result.stdout.strip().splitlines()[-1])


def median_row(rows: List[Dict]) -> Dict:
    """Median time and memory of repeated measurements of one implementation."""
    row = dict(rows[0])
    for key in ('seconds', 'peak_extra_bytes'):
        row[key] = statistics.median(r[key] for r in rows)
        row[key + '_all'] = [r[key] for r in rows]
    return row


def main() -> None:
    args = parse_args()
    if args.measure:
        print(json.dumps(measure_here(*args.measure, args)))
        return
    print(f'device={args.device} ResNet-{args.depth} batch={args.batch} size={args.size} '
          f'repeat={args.repeat} rounds={args.rounds} torch={torch.__version__} '
          f'threads={torch.get_num_threads()}')
    rows: List[Dict] = []
    for algo in args.algos:
        runs: Dict[str, List[Dict]] = dict(peer=[], mmpcd=[])
        for _ in range(args.rounds):
            for impl in runs:
                runs[impl].append(measure(algo, impl, args))
        peer, ours = median_row(runs['peer']), median_row(runs['mmpcd'])
        for row in (peer, ours):
            print(f"{algo:<10}{row['impl']:<7}{row['seconds'] * 1e3:>10.1f} ms/step"
                  f"{row['peak_extra_bytes'] / 2**20:>10.1f} MiB")
        ours.update(time_ratio=ours['seconds'] / peer['seconds'],
                    memory_ratio=ours['peak_extra_bytes'] / max(peer['peak_extra_bytes'], 1))
        print(f"{algo:<10}mmpcd / peer: time x{ours['time_ratio']:.3f}, "
              f"memory x{ours['memory_ratio']:.3f}")
        rows += [peer, ours]
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(vars(args), rows=rows), f, indent=1)
        print(f'results written to {args.json}')


if __name__ == '__main__':
    main()
