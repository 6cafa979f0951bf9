"""Which implementation and which precision an op runs: the policy behind ``impl='auto'``.

Every op has three implementations: ``'pytorch'`` (the reference, always there), ``'cpu'``
(C++ kernels) and ``'cuda'`` (CUDA kernels), both in ``mmpcd._ext`` (:mod:`mmpcd.ops.ext`).

- An explicit ``impl`` runs that implementation at the inputs' dtype (half inputs included),
  or fails with an error that says what to do.
- ``impl='auto'`` takes the device's kernel only where it is built, validated for that numeric
  path (:data:`CUDA_VALIDATED_OPS`, :data:`CUDA_VALIDATED_LOW_PRECISION_OPS`) and not slower
  than the reference at that problem size (:data:`CROSSOVERS`, measured), else the reference;
  beyond :data:`REFERENCE_MAX_PAIRS` it keeps the kernel, whose memory is O(HW) instead of
  the reference's O(HW^2). Half inputs outside autocast run natively or cast to float32 as
  :data:`HALF_INPUTS` says for the device (measured on the CPU).

Dtype contract (all ops, all implementations): under ``torch.autocast`` an op runs in float32
with autocast disabled inside (like autocast's own float32 ops) and returns float32; outside it
returns the inputs' dtype and accumulates in float32 at least. ``precision`` (the GEMM ops)
opts into tensor cores for float32 work. This module imports torch only.
"""

import contextlib
from dataclasses import dataclass
from typing import Dict, Iterator, Optional, Sequence, Tuple

import torch

from .ext import ext_has_cuda, load_ext

IMPLS = ('auto', 'pytorch', 'cpu', 'cuda')
# GEMM precision of float32 work: IEEE float32, TF32 tensor cores (CUDA; float32 on the CPU),
# or bfloat16 operands with float32 accumulation and results.
PRECISIONS = ('fp32', 'tf32', 'bf16')
HALF_DTYPES = (torch.float16, torch.bfloat16)

# CUDA kernels that passed the op tests (tests/test_ops) on a real GPU in float32/float64 (H100,
# torch 2.11 + CUDA 13.0, 2026-11-22).
CUDA_VALIDATED_OPS = frozenset(
    {'coord_distance', 'pixel_propagation', 'dense_argmax_match', 'masked_pair_cosine'}
)
# CUDA kernels whose low-precision paths (float16/bfloat16 inputs, precision='tf32'/'bf16')
# passed the op tests on a GPU. None yet: they are compiled and tested on the CPU only, so
# impl='auto' runs the reference (PyTorch's own half/TF32 GEMMs) for them on CUDA.
CUDA_VALIDATED_LOW_PRECISION_OPS: frozenset = frozenset()

# Half (float16/bfloat16) inputs outside autocast under impl='auto': 'native' runs the op's
# GEMMs in half precision (float accumulators), 'upcast' casts the inputs to float32 and the
# result back. CPU: measured, upcast is faster (docs/en/benchmarks.md, "Half inputs"); CUDA:
# the native kernels are not validated yet.
HALF_INPUTS = {'cpu': 'upcast', 'cuda': 'upcast'}

# Measured crossovers, (device, op, pass) -> rows (largest map in pixels, impl): the first row
# whose bound holds the problem's larger map wins; None = any size. ``pass`` is 'forward'
# (no gradient needed) or 'train' (forward + backward). Batch 64, 256 channels, square maps,
# float32: CPU (2 cores) and CUDA (H100) tables of docs/en/benchmarks.md; the kernel where it
# is at least as fast as the reference at the measured sizes up to the bound.
CROSSOVERS: Dict[Tuple[str, str, str], Tuple[Tuple[Optional[int], str], ...]] = {
    # CUDA: the kernel loses the forward everywhere (x0.70-0.90) and forward + backward from
    # 28^2 (x0.97/x0.96); it wins forward + backward at 7^2/14^2 (x1.41/x1.30).
    ('cuda', 'pixel_propagation', 'forward'): ((None, 'pytorch'),),
    ('cuda', 'pixel_propagation', 'train'): ((14 * 14, 'cuda'), (None, 'pytorch')),
    # x1.07/x1.12/x1.02 at 7^2-28^2, x0.97 at 56^2.
    ('cuda', 'dense_argmax_match', 'forward'): ((28 * 28, 'cuda'), (None, 'pytorch')),
    # x3.5-x6.7 forward, x2.0-x4.9 forward + backward; coord_distance x2.2-x18.
    ('cuda', 'masked_pair_cosine', 'forward'): ((None, 'cuda'),),
    ('cuda', 'masked_pair_cosine', 'train'): ((None, 'cuda'),),
    ('cuda', 'coord_distance', 'forward'): ((None, 'cuda'),),
    # CPU rows: see CPU_CROSSOVERS below (merged into this table).
}

# AMD EPYC, 2 cores, torch 2.14.1 (docs/en/benchmarks.md, CPU table).
CPU_CROSSOVERS: Dict[Tuple[str, str, str], Tuple[Tuple[Optional[int], str], ...]] = {
    ('cpu', 'pixel_propagation', 'forward'): ((None, 'cpu'),),
    ('cpu', 'pixel_propagation', 'train'): ((None, 'cpu'),),
    ('cpu', 'dense_argmax_match', 'forward'): ((None, 'cpu'),),
    ('cpu', 'masked_pair_cosine', 'forward'): ((None, 'cpu'),),
    ('cpu', 'masked_pair_cosine', 'train'): ((None, 'cpu'),),
    ('cpu', 'coord_distance', 'forward'): ((None, 'cpu'),),
}
CROSSOVERS.update(CPU_CROSSOVERS)

# Above this many pairs (N * HWq * HWk) impl='auto' keeps an eligible kernel even where the
# reference is a little faster: the reference's (N, HWq, HWk) buffers (2^28 floats = 1 GiB
# each, several per call) would dominate the memory (at 56^2, batch 64: 14.6 GiB vs 1.5 GiB
# for pixel_propagation's forward + backward, at x0.96 of the reference's time).
REFERENCE_MAX_PAIRS = 2**28


def _kernel_built(device: str) -> bool:
    if device == 'cpu':
        return load_ext() is not None
    return device == 'cuda' and ext_has_cuda()


def _kernel_eligible(op: str, device: str, low_precision: bool) -> bool:
    """Whether impl='auto' may run the device's kernel for this numeric path at all."""
    if not _kernel_built(device):
        return False
    if device == 'cuda':
        validated = CUDA_VALIDATED_LOW_PRECISION_OPS if low_precision else CUDA_VALIDATED_OPS
        return op in validated
    return True


def crossover_impl(device: str, op: str, grad: bool, pixels: int) -> str:
    """The faster implementation at ``pixels`` (larger map) from :data:`CROSSOVERS`; the
    device's kernel where the table has no row."""
    rows = CROSSOVERS.get((device, op, 'train' if grad else 'forward'))
    if rows is None:
        return device
    for bound, impl in rows:
        if bound is None or pixels <= bound:
            return impl
    return 'pytorch'


def resolve_impl(
    impl: str,
    op: str,
    tensor: torch.Tensor,
    pixels: Optional[int] = None,
    pairs: Optional[int] = None,
    grad: bool = False,
    low_precision: bool = False,
) -> str:
    """The implementation that runs ``op`` on ``tensor``'s device for the requested ``impl``.

    Args:
        impl: ``'auto' | 'pytorch' | 'cpu' | 'cuda'``.
        op: Name of the op (a key of the tables above).
        tensor: One of its inputs (for the device).
        pixels: Pixels of the larger of the two maps; None = no size rule.
        pairs: ``N * HWq * HWk`` of the call; None = no memory rule.
        grad: Whether the call needs a backward pass.
        low_precision: Whether it runs a half/TF32 path.

    Raises a ``ValueError``/``RuntimeError`` that says what to do when an explicitly requested
    implementation cannot run.
    """
    if impl not in IMPLS:
        raise ValueError(f'impl must be one of {IMPLS}, got {impl!r}.')
    if impl == 'pytorch':
        return 'pytorch'
    device = tensor.device.type
    if impl == 'auto':
        if not _kernel_eligible(op, device, low_precision):
            return 'pytorch'
        if pairs is not None and pairs > REFERENCE_MAX_PAIRS:
            return device
        return device if pixels is None else crossover_impl(device, op, grad, pixels)
    if device != impl:
        raise ValueError(f"{op}: impl='{impl}' needs {impl} tensors, got tensors on {device}.")
    if load_ext() is None:
        raise RuntimeError(
            f"{op}: impl='{impl}' needs mmpcd._ext, which is not built. Run "
            '`python setup.py build_ext --inplace` (or `make setup`), or use '
            'impl="pytorch".'
        )
    if impl == 'cuda' and not ext_has_cuda():
        raise RuntimeError(
            f"{op}: mmpcd._ext was built without CUDA kernels. Rebuild on a "
            'machine with a CUDA torch and nvcc (or FORCE_CUDA=1).'
        )
    return impl


@dataclass(frozen=True)
class Plan:
    """How one call runs: the implementation, the dtype its inputs are cast to (the GEMMs'
    operands), the dtype of its result, and whether float32 GEMMs may use TF32."""

    impl: str
    compute_dtype: torch.dtype
    out_dtype: torch.dtype
    tf32: bool = False

    @contextlib.contextmanager
    def context(self, device_type: str) -> Iterator[None]:
        """Autocast off (the op chooses its own precision), TF32 GEMMs on if planned."""
        with torch.autocast(device_type=device_type, enabled=False), tf32_matmul(self.tf32):
            yield


@contextlib.contextmanager
def tf32_matmul(enabled: bool) -> Iterator[None]:
    """Let float32 CUDA GEMMs use TF32 tensor cores inside the block (a no-op when False)."""
    if not enabled:
        yield
        return
    matmul = torch.backends.cuda.matmul
    if hasattr(matmul, 'fp32_precision'):  # torch >= 2.9; mixing it with allow_tf32 is an error
        before, matmul.fp32_precision = matmul.fp32_precision, 'tf32'
        try:
            yield
        finally:
            matmul.fp32_precision = before
    else:
        before, matmul.allow_tf32 = matmul.allow_tf32, True
        try:
            yield
        finally:
            matmul.allow_tf32 = before


def accumulate_dtype(dtype: torch.dtype) -> torch.dtype:
    """float32 for half dtypes, the dtype otherwise (float32/float64)."""
    return torch.float32 if dtype in HALF_DTYPES else dtype


def upcast_half(tensor: torch.Tensor) -> torch.Tensor:
    """``tensor`` in float32 if it is float16/bfloat16, else as it is: the cast of every fp32
    place (the ops here, the losses of the models)."""
    return tensor.to(accumulate_dtype(tensor.dtype))


def _input_dtype(tensors: Sequence[torch.Tensor]) -> torch.dtype:
    dtype = tensors[0].dtype
    for tensor in tensors[1:]:
        dtype = torch.promote_types(dtype, tensor.dtype)
    if not dtype.is_floating_point:
        raise TypeError(f'expected floating-point inputs, got {dtype}.')
    return dtype


def plan(
    op: str,
    impl: str,
    tensors: Sequence[torch.Tensor],
    precision: str = 'fp32',
    pixels: Optional[int] = None,
    pairs: Optional[int] = None,
    grad: bool = False,
    half_kernels: bool = True,
) -> Plan:
    """The :class:`Plan` of one call of ``op`` on ``tensors`` (the features).

    Args:
        precision: One of :data:`PRECISIONS`; applies to float32 work (float64 stays exact,
            half inputs already run their GEMMs in half precision).
        half_kernels: False for ops that never compute in half precision (cell geometry,
            RoIAlign): half inputs are cast to float32.
        Others: as :func:`resolve_impl`.
    """
    if precision not in PRECISIONS:
        raise ValueError(f'precision must be one of {PRECISIONS}, got {precision!r}.')
    device = tensors[0].device.type
    dtype = _input_dtype(tensors)
    autocast = torch.is_autocast_enabled(device)
    out_dtype = torch.float32 if autocast and dtype in HALF_DTYPES else dtype
    compute = dtype
    if dtype in HALF_DTYPES and (
        autocast or not half_kernels or (impl == 'auto' and HALF_INPUTS.get(device) == 'upcast')
    ):
        compute = torch.float32
    tf32 = compute == torch.float32 and precision == 'tf32' and device == 'cuda'
    if compute == torch.float32 and precision == 'bf16':
        compute = torch.bfloat16
    low_precision = tf32 or compute in HALF_DTYPES
    chosen = resolve_impl(impl, op, tensors[0], pixels, pairs, grad, low_precision)
    return Plan(chosen, compute, out_dtype, tf32)


def needs_grad(*tensors: torch.Tensor) -> bool:
    return torch.is_grad_enabled() and any(t.requires_grad for t in tensors)


class _TF32Subgraph(torch.autograd.Function):
    """Runs ``fn`` with TF32 GEMMs in the forward *and* the backward pass (autograd replays
    a reference's backward after the forward's context has closed)."""

    @staticmethod
    def forward(ctx, fn, *inputs):
        leaves = [x.detach().requires_grad_(x.requires_grad) for x in inputs]
        with torch.enable_grad(), tf32_matmul(True):
            out = fn(*leaves)
        ctx.leaves, ctx.out = leaves, out
        return out.detach()

    @staticmethod
    def backward(ctx, grad):
        wanted = [x for x in ctx.leaves if x.requires_grad]
        with torch.autocast(device_type=grad.device.type, enabled=False), tf32_matmul(True):
            grads = iter(torch.autograd.grad(ctx.out, wanted, grad))
        return (None, *(next(grads) if x.requires_grad else None for x in ctx.leaves))


def run_reference(call_plan: Plan, fn, *tensors: torch.Tensor) -> torch.Tensor:
    """``fn(*tensors)`` (a reference implementation) under ``call_plan``'s context, keeping
    TF32 for its backward pass too."""
    with call_plan.context(tensors[0].device.type):
        if call_plan.tf32 and needs_grad(*tensors):
            return _TF32Subgraph.apply(fn, *tensors)
        return fn(*tensors)
