"""Time, memory and error of the pixel-correspondence ops, per implementation, against the
float32 reference.

For every op, map size and variant it prints the median time, the peak *extra* memory of one
call (beyond its inputs), both as ratios to the float32 PyTorch reference measured in the same
run, and the error against a float64 computation on the same inputs (a batch of
``--error-batch`` images). CPU memory is the peak resident set size of a fresh subprocess per
measurement (``VmHWM`` after a reset, minus ``VmRSS`` before the call); CUDA memory is
``torch.cuda.max_memory_allocated``.

Variants (``--variants``; the float32 reference always runs):

- ``kernel``: the device's kernel (``impl='cpu'|'cuda'``) at ``--dtype``/``--precision``;
- ``auto``: ``impl='auto'`` at ``--dtype``/``--precision`` (what the models run);
- ``reference``: the reference at ``--dtype``/``--precision`` (when either is not float32);
- ``upcast``: the kernel on float32 copies of half inputs, result cast back (``--dtype``
  float16/bfloat16 only): the alternative to the kernels' native half path.

Errors: the largest absolute difference to float64 divided by the largest float64 magnitude
(output; for ``*_backward`` the input gradients); ``dense_argmax_match``: the largest cosine
lost against the float64 best match.

Example::

    python tools/analysis_tools/benchmark_ops.py --device cpu --sizes 7 14 28 --json out.json
    python tools/analysis_tools/benchmark_ops.py --device cuda --precision bf16 --ops \\
        pixel_propagation dense_argmax_match
"""

import argparse
import json
import os.path as osp
import statistics
import subprocess
import sys
from typing import Callable, Dict, List, Optional, Tuple

import torch

# benchmark_timing.py lives beside the benchmark scripts (tools/ is not a package).
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from benchmark_timing import call_times, peak_extra_memory  # noqa: E402

OPS = (
    'pixel_propagation',
    'pixel_propagation_backward',
    'dense_argmax_match',
    'masked_pair_cosine',
    'masked_pair_cosine_backward',
    'coord_distance',
)
VARIANTS = ('kernel', 'auto', 'reference', 'upcast')
DTYPES = ('float32', 'bfloat16', 'float16')
PRECISIONS = ('fp32', 'tf32', 'bf16')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument(
        '--sizes',
        type=int,
        nargs='+',
        default=[7, 14, 28, 56],
        help='side of the square feature maps',
    )
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--channels', type=int, default=256)
    parser.add_argument('--ops', nargs='+', default=list(OPS), choices=OPS)
    parser.add_argument('--variants', nargs='+', default=['kernel', 'auto'], choices=VARIANTS)
    parser.add_argument('--dtype', default='float32', choices=DTYPES, help='input dtype')
    parser.add_argument(
        '--precision',
        default='fp32',
        choices=PRECISIONS,
        help='GEMM precision of the GEMM ops (pixel_propagation, dense_argmax_match)',
    )
    parser.add_argument(
        '--error-batch',
        type=int,
        default=4,
        help='images of the float64 error check (0: no error check)',
    )
    parser.add_argument('--repeat', type=int, default=3, help='timed calls per measurement')
    parser.add_argument(
        '--stat',
        default='median',
        choices=['median', 'min'],
        help='time statistic of the ratios; min = the least disturbed call, '
        'for a machine shared with other jobs (which only ever add time)',
    )
    parser.add_argument('--threads', type=int, help='torch threads (CPU); default: torch\'s')
    parser.add_argument(
        '--clock',
        default='wall',
        choices=['wall', 'cpu'],
        help='cpu: the process\'s CPU time (CPU device; with --threads 1 the '
        'compute time of a call, unaffected by other jobs on the machine)',
    )
    parser.add_argument(
        '--in-process',
        action='store_true',
        help='CPU: measure in this process instead of a fresh one per '
        'measurement (fast; the memory numbers then see the allocator\'s reuse)',
    )
    parser.add_argument('--json', help='also write the results to this file')
    parser.add_argument(
        '--measure', nargs=4, metavar=('OP', 'VARIANT', 'SIZE', 'WHAT'), help=argparse.SUPPRESS
    )  # internal: one measurement in a subprocess
    return parser.parse_args(argv)


def variant_settings(
    variant: str, device: str, dtype: str, precision: str
) -> Tuple[str, torch.dtype, str, bool]:
    """(impl, input dtype, precision, upcast) of a variant; 'pytorch' is the float32
    reference itself."""
    if variant == 'pytorch':
        return 'pytorch', torch.float32, 'fp32', False
    impl = dict(kernel=device, auto='auto', reference='pytorch', upcast=device)[variant]
    return impl, getattr(torch, dtype), precision, variant == 'upcast'


def make_inputs(
    op: str, size: int, batch: int, channels: int, dtype: torch.dtype, device: str, grad: bool
):
    """Random inputs of the training shapes (seeded, so every variant sees the same values)."""
    generator = torch.Generator().manual_seed(0)

    def feat():
        x = torch.randn(batch, channels, size, size, generator=generator)
        return x.to(device=device, dtype=dtype).requires_grad_(grad)

    coord_q = (torch.rand(batch, 4, generator=generator) * 0.5).to(device)
    coord_q[:, 2:] += 0.5
    coord_k = (coord_q + 0.05).clamp(max=1.0)
    if op == 'coord_distance':
        return (coord_q, coord_k)
    if op.startswith('masked_pair_cosine'):
        return (feat(), feat(), coord_q, coord_k)
    return (feat(), feat())


def run_op(op: str, inputs, size: int, impl: str, precision: str, upcast: bool):
    """One forward call of ``op``."""
    from mmpcd import ops

    dtype = inputs[0].dtype
    if upcast:
        inputs = tuple(x.float() if x.is_floating_point() else x for x in inputs)
    if op.startswith('pixel_propagation'):
        out = ops.pixel_propagation(*inputs, 2.0, 0.0, impl=impl, precision=precision)
    elif op == 'dense_argmax_match':
        return ops.dense_argmax_match(*inputs, impl=impl, precision=precision)
    elif op.startswith('masked_pair_cosine'):
        out = ops.masked_pair_cosine(*inputs, 0.7, impl=impl)
    else:
        return ops.coord_distance(*inputs, (size, size), (size, size), impl=impl)
    return out.to(dtype) if upcast else out


def make_call(op: str, variant: str, size: int, args: argparse.Namespace) -> Callable:
    """A closure that runs ``op`` once (forward, or forward + backward) for ``variant``."""
    impl, dtype, precision, upcast = variant_settings(
        variant, args.device, args.dtype, args.precision
    )
    backward = op.endswith('_backward')
    inputs = make_inputs(op, size, args.batch, args.channels, dtype, args.device, backward)
    if not backward:
        return lambda: torch.no_grad()(run_op)(op, inputs, size, impl, precision, upcast)
    return lambda: run_op(op, inputs, size, impl, precision, upcast).float().sum().backward()


def relative_error(actual: torch.Tensor, expected: torch.Tensor) -> float:
    return float((actual.double() - expected).abs().max() / expected.abs().max().clamp_min(1e-30))


def error_vs_float64(op: str, variant: str, size: int, args: argparse.Namespace) -> float:
    """Error of ``variant`` against the float64 reference on ``--error-batch`` images."""
    impl, dtype, precision, upcast = variant_settings(
        variant, args.device, args.dtype, args.precision
    )
    backward = op.endswith('_backward')
    base = make_inputs(op, size, args.error_batch, args.channels, torch.float64, args.device, False)
    inputs = tuple(
        (x.to(dtype) if x.is_floating_point() and x.dim() == 4 else x)
        .detach()
        .requires_grad_(backward and x.dim() == 4)
        for x in base
    )
    exact = tuple(x.detach().double().requires_grad_(backward and x.dim() == 4) for x in inputs)
    if op == 'dense_argmax_match':
        from mmpcd.ops.dense_match import dense_argmax_match_pytorch

        q, k = (torch.nn.functional.normalize(x.flatten(2), dim=1) for x in exact)
        cosine = torch.bmm(q.transpose(1, 2), k)
        chosen = run_op(op, inputs, size, impl, precision, upcast)
        best = cosine.gather(2, dense_argmax_match_pytorch(*exact)[..., None])
        return float((best - cosine.gather(2, chosen[..., None])).max())
    with torch.set_grad_enabled(backward):
        out = run_op(op, inputs, size, impl, precision, upcast)
        ref = run_op(op, exact, size, 'pytorch', 'fp32', False)
    if not backward:
        return relative_error(out, ref)
    weight = torch.randn(
        ref.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64
    ).to(args.device)
    wanted = [i for i, x in enumerate(inputs) if x.requires_grad]
    actual = torch.autograd.grad((out.double() * weight).sum(), [inputs[i] for i in wanted])
    expected = torch.autograd.grad((ref * weight).sum(), [exact[i] for i in wanted])
    return max(relative_error(a, e) for a, e in zip(actual, expected))


def measure_here(op: str, variant: str, size: int, args: argparse.Namespace) -> Dict:
    call = make_call(op, variant, size, args)
    if args.device == 'cpu':  # memory first, in a process that has run nothing else big
        memory = peak_extra_memory(call, 'cpu')
        times = call_times(call, args.repeat, 'cpu', args.clock)
    else:
        times = call_times(call, args.repeat, 'cuda')
        memory = peak_extra_memory(call, 'cuda')
    seconds = min(times) if args.stat == 'min' else statistics.median(times)
    impl = args.device if variant == 'kernel' else variant
    return dict(
        op=op, impl=impl, size=size, seconds=seconds, seconds_all=times, peak_extra_bytes=memory
    )


def measure(op: str, variant: str, size: int, args: argparse.Namespace) -> Dict:
    if args.device == 'cuda' or args.in_process:
        row = measure_here(op, variant, size, args)
    else:
        cmd = [
            sys.executable,
            __file__,
            '--device',
            'cpu',
            '--batch',
            str(args.batch),
            '--channels',
            str(args.channels),
            '--repeat',
            str(args.repeat),
            '--dtype',
            args.dtype,
            '--precision',
            args.precision,
            '--stat',
            args.stat,
            '--clock',
            args.clock,
            '--measure',
            op,
            variant,
            str(size),
            'json',
        ]
        if args.threads:
            cmd += ['--threads', str(args.threads)]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            return dict(
                op=op, impl=variant, size=size, error=result.stderr.strip().splitlines()[-1]
            )
        row = json.loads(result.stdout.strip().splitlines()[-1])
    if args.error_batch > 0:
        row['error_vs_float64'] = error_vs_float64(op, variant, size, args)
    return row


def format_row(row: Dict, reference: Dict) -> str:
    if 'error' in row:
        return f"{row['op']:<30}{row['size']:>4}² {row['impl']:<10} failed: {row['error']}"
    text = (
        f"{row['op']:<30}{row['size']:>4}² {row['impl']:<10}"
        f"{row['seconds'] * 1e3:>11.2f} ms{row['peak_extra_bytes'] / 2**20:>11.1f} MiB"
    )
    if 'error_vs_float64' in row:
        text += f"   err {row['error_vs_float64']:.1e}"
    if reference is not row and reference and 'error' not in reference:
        speedup = reference['seconds'] / row['seconds']
        memory = row['peak_extra_bytes'] / max(reference['peak_extra_bytes'], 1)
        text += f'   speed-up x{speedup:.2f}   memory x{memory:.3f}'
        row.update(speedup=speedup, memory_ratio=memory)
    return text


def variants_to_run(args: argparse.Namespace) -> List[str]:
    low_precision = args.dtype != 'float32' or args.precision != 'fp32'
    return [
        v
        for v in args.variants
        if (v != 'reference' or low_precision) and (v != 'upcast' or args.dtype != 'float32')
    ]


def main(argv: Optional[List[str]] = None) -> Optional[List[Dict]]:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.measure:
        op, variant, size, _ = args.measure
        print(json.dumps(measure_here(op, variant, int(size), args)))
        return
    print(
        f'device={args.device} batch={args.batch} channels={args.channels} '
        f'dtype={args.dtype} precision={args.precision} repeat={args.repeat} '
        f'stat={args.stat} clock={args.clock} '
        f'torch={torch.__version__} threads={torch.get_num_threads()}'
    )
    print(f"{'op':<30}{'map':>5} {'variant':<10}{args.stat:>14}{'peak extra':>15}")
    rows: List[Dict] = []
    for op in args.ops:
        for size in args.sizes:
            reference = measure(op, 'pytorch', size, args)
            print(format_row(reference, reference), flush=True)
            rows.append(reference)
            for variant in variants_to_run(args):
                row = measure(op, variant, size, args)
                print(format_row(row, reference), flush=True)
                rows.append(row)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(
                dict(
                    device=args.device,
                    batch=args.batch,
                    channels=args.channels,
                    dtype=args.dtype,
                    precision=args.precision,
                    stat=args.stat,
                    clock=args.clock,
                    threads=torch.get_num_threads(),
                    torch=torch.__version__,
                    rows=rows,
                ),
                f,
                indent=1,
            )
        print(f'results written to {args.json}')
    return rows


if __name__ == '__main__':
    main()
