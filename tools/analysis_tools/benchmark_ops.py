"""Time and memory of the pixel-correspondence ops, per implementation, against the reference.

For every op, map size and implementation it prints the median time, the peak *extra* memory
of one call (beyond its inputs) and both as ratios to the PyTorch reference measured in the
same run. CPU memory is the peak resident set size of a fresh subprocess per measurement
(``VmHWM`` after a reset, minus ``VmRSS`` before the call); CUDA memory is
``torch.cuda.max_memory_allocated``.

Example::

    python tools/analysis_tools/benchmark_ops.py --device cpu --sizes 7 14 28 56 --json out.json
"""
import argparse
import json
import subprocess
import sys
from typing import Callable, Dict, List

import torch

from mmpcd.utils.benchmark import median_time, peak_extra_memory

OPS = ('pixel_propagation', 'pixel_propagation_backward', 'dense_argmax_match',
       'masked_pair_cosine', 'masked_pair_cosine_backward', 'coord_distance')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--sizes', type=int, nargs='+', default=[7, 14, 28, 56],
                        help='side of the square feature maps')
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--channels', type=int, default=256)
    parser.add_argument('--ops', nargs='+', default=list(OPS), choices=OPS)
    parser.add_argument('--repeat', type=int, default=3, help='timed calls per measurement')
    parser.add_argument('--json', help='also write the results to this file')
    parser.add_argument('--measure', nargs=4, metavar=('OP', 'IMPL', 'SIZE', 'WHAT'),
                        help=argparse.SUPPRESS)  # internal: one measurement in a subprocess
    return parser.parse_args()


def make_call(op: str, impl: str, size: int, batch: int, channels: int,
              device: str) -> Callable[[], object]:
    """A closure that runs ``op`` once on fresh random inputs of the training shapes."""
    from mmpcd import ops
    generator = torch.Generator().manual_seed(0)

    def feat(*shape, grad=False):
        return torch.randn(*shape, generator=generator).to(device).requires_grad_(grad)

    coord_q = (torch.rand(batch, 4, generator=generator) * 0.5).to(device)
    coord_q[:, 2:] += 0.5
    coord_k = (coord_q + 0.05).clamp(max=1.0)
    backward = op.endswith('_backward')
    if op.startswith('pixel_propagation'):
        x, value = feat(batch, channels, size, size, grad=backward), \
            feat(batch, channels, size, size, grad=backward)
        forward = lambda: ops.pixel_propagation(x, value, 2.0, 0.0, impl=impl)  # noqa: E731
    elif op == 'dense_argmax_match':
        q, k = feat(batch, channels, size, size), feat(batch, channels, size, size)
        forward = lambda: ops.dense_argmax_match(q, k, impl=impl)  # noqa: E731
    elif op.startswith('masked_pair_cosine'):
        p, t = feat(batch, channels, size, size, grad=backward), \
            feat(batch, channels, size, size, grad=backward)
        forward = lambda: ops.masked_pair_cosine(p, t, coord_q, coord_k, 0.7,  # noqa: E731
                                                 impl=impl)
    else:
        forward = lambda: ops.coord_distance(coord_q, coord_k, (size, size),  # noqa: E731
                                             (size, size), impl=impl)
    if not backward:
        return lambda: torch.no_grad()(forward)()
    return lambda: forward().sum().backward()


def measure_here(op: str, impl: str, size: int, args: argparse.Namespace) -> Dict:
    call = make_call(op, impl, size, args.batch, args.channels, args.device)
    if args.device == 'cpu':  # memory first, in a process that has run nothing else big
        memory = peak_extra_memory(call, 'cpu')
        seconds = median_time(call, args.repeat, 'cpu')
    else:
        seconds = median_time(call, args.repeat, 'cuda')
        memory = peak_extra_memory(call, 'cuda')
    return dict(op=op, impl=impl, size=size, seconds=seconds, peak_extra_bytes=memory)


def measure(op: str, impl: str, size: int, args: argparse.Namespace) -> Dict:
    if args.device == 'cuda':
        return measure_here(op, impl, size, args)
    cmd = [sys.executable, __file__, '--device', 'cpu', '--batch', str(args.batch),
           '--channels', str(args.channels), '--repeat', str(args.repeat), '--measure', op, impl,
           str(size), 'json']
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        return dict(op=op, impl=impl, size=size, error=result.stderr.strip().splitlines()[-1])
    return json.loads(result.stdout.strip().splitlines()[-1])


def compiled_impl(device: str) -> str:
    return device  # 'cpu' -> C++ kernels, 'cuda' -> CUDA kernels


def format_row(row: Dict, reference: Dict) -> str:
    if 'error' in row:
        return f"{row['op']:<30}{row['size']:>4}² {row['impl']:<8} failed: {row['error']}"
    text = (f"{row['op']:<30}{row['size']:>4}² {row['impl']:<8}"
            f"{row['seconds'] * 1e3:>11.2f} ms{row['peak_extra_bytes'] / 2**20:>11.1f} MiB")
    if reference is not row and reference and 'error' not in reference:
        speedup = reference['seconds'] / row['seconds']
        memory = row['peak_extra_bytes'] / max(reference['peak_extra_bytes'], 1)
        text += f'   speed-up x{speedup:.2f}   memory x{memory:.3f}'
        row.update(speedup=speedup, memory_ratio=memory)
    return text


def main() -> None:
    args = parse_args()
    if args.measure:
        op, impl, size, _ = args.measure
        print(json.dumps(measure_here(op, impl, int(size), args)))
        return
    print(f'device={args.device} batch={args.batch} channels={args.channels} '
          f'repeat={args.repeat} torch={torch.__version__} threads={torch.get_num_threads()}')
    print(f"{'op':<30}{'map':>5} {'impl':<8}{'median':>14}{'peak extra':>15}")
    rows: List[Dict] = []
    for op in args.ops:
        for size in args.sizes:
            reference = measure(op, 'pytorch', size, args)
            print(format_row(reference, reference), flush=True)
            row = measure(op, compiled_impl(args.device), size, args)
            print(format_row(row, reference), flush=True)
            rows += [reference, row]
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(device=args.device, batch=args.batch, channels=args.channels,
                           torch=torch.__version__, rows=rows), f, indent=1)
        print(f'results written to {args.json}')


if __name__ == '__main__':
    main()
