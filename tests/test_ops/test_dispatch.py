"""The implementation and precision policy of mmpcd.ops (dispatch.py): pinned choice logic."""

from types import SimpleNamespace

import pytest
import torch

from mmpcd.ops import dispatch

CUDA_TENSOR = SimpleNamespace(device=torch.device('cuda'))  # resolve_impl reads the device only
CPU_TENSOR = torch.zeros(1)


@pytest.fixture
def kernels_built(monkeypatch):
    """Pretend mmpcd._ext is built with CUDA kernels, so the policy alone decides."""
    monkeypatch.setattr(dispatch, '_kernel_built', lambda device: device in ('cpu', 'cuda'))


@pytest.mark.parametrize(
    'op,grad,side,expected',
    [
        # CUDA (H100 table): the pixel_propagation kernel loses every forward ...
        ('pixel_propagation', False, 7, 'pytorch'),
        ('pixel_propagation', False, 28, 'pytorch'),
        # ... and forward + backward from 28^2, wins it at 7^2 and 14^2
        ('pixel_propagation', True, 7, 'cuda'),
        ('pixel_propagation', True, 14, 'cuda'),
        ('pixel_propagation', True, 20, 'pytorch'),
        ('pixel_propagation', True, 28, 'pytorch'),
        ('dense_argmax_match', False, 28, 'cuda'),
        ('dense_argmax_match', False, 56, 'pytorch'),
        ('masked_pair_cosine', False, 7, 'cuda'),
        ('masked_pair_cosine', True, 56, 'cuda'),
        ('coord_distance', False, 56, 'cuda'),
    ],
)
def test_cuda_crossovers(kernels_built, op, grad, side, expected):
    assert dispatch.resolve_impl('auto', op, CUDA_TENSOR, pixels=side * side, grad=grad) == expected


def test_large_problems_keep_the_kernel_whatever_the_crossover(kernels_built):
    # 56^2 at batch 64: the reference would hold (64, 3136, 3136) floats per buffer
    pairs = 64 * 3136**2
    assert pairs > dispatch.REFERENCE_MAX_PAIRS
    for grad in (False, True):
        assert (
            dispatch.resolve_impl(
                'auto', 'pixel_propagation', CUDA_TENSOR, pixels=3136, pairs=pairs, grad=grad
            )
            == 'cuda'
        )
    # the same maps at batch 8 stay on the faster reference
    assert (
        dispatch.resolve_impl(
            'auto', 'pixel_propagation', CUDA_TENSOR, pixels=3136, pairs=8 * 3136**2
        )
        == 'pytorch'
    )


def test_cuda_kernels_need_validation_for_their_numeric_path(kernels_built, monkeypatch):
    args = dict(pixels=49, grad=True)
    assert dispatch.resolve_impl('auto', 'masked_pair_cosine', CUDA_TENSOR, **args) == 'cuda'
    # the half/TF32 paths are compiled but not validated on a GPU yet
    assert not dispatch.CUDA_VALIDATED_LOW_PRECISION_OPS
    assert (
        dispatch.resolve_impl('auto', 'masked_pair_cosine', CUDA_TENSOR, low_precision=True, **args)
        == 'pytorch'
    )
    monkeypatch.setattr(dispatch, 'CUDA_VALIDATED_OPS', frozenset())
    assert dispatch.resolve_impl('auto', 'masked_pair_cosine', CUDA_TENSOR, **args) == 'pytorch'
    # an explicit request still runs it
    monkeypatch.setattr(dispatch, 'load_ext', lambda: object())
    monkeypatch.setattr(dispatch, 'ext_has_cuda', lambda: True)
    assert dispatch.resolve_impl('cuda', 'masked_pair_cosine', CUDA_TENSOR, **args) == 'cuda'


def test_without_the_extension_auto_is_the_reference(monkeypatch):
    monkeypatch.setattr(dispatch, '_kernel_built', lambda device: False)
    for tensor in (CPU_TENSOR, CUDA_TENSOR):
        assert dispatch.resolve_impl('auto', 'pixel_propagation', tensor, pixels=49) == 'pytorch'
    monkeypatch.setattr(dispatch, 'load_ext', lambda: None)
    with pytest.raises(RuntimeError, match='build_ext --inplace'):
        dispatch.resolve_impl('cpu', 'pixel_propagation', CPU_TENSOR)


def test_every_crossover_row_is_well_formed():
    for (device, op, pass_), rows in dispatch.CROSSOVERS.items():
        assert device in ('cpu', 'cuda') and pass_ in ('forward', 'train')
        assert rows[-1][0] is None, f'{device}/{op}/{pass_} must cover every size'
        bounds = [bound for bound, _ in rows[:-1]]
        assert bounds == sorted(bounds)
        assert all(impl in ('pytorch', device) for _, impl in rows)


def test_bad_arguments_name_the_choices():
    with pytest.raises(ValueError, match='impl must be one of'):
        dispatch.resolve_impl('gpu', 'pixel_propagation', CPU_TENSOR)
    with pytest.raises(ValueError, match="impl='cuda' needs cuda tensors"):
        dispatch.resolve_impl('cuda', 'pixel_propagation', CPU_TENSOR)
    with pytest.raises(ValueError, match='precision must be one of'):
        dispatch.plan('pixel_propagation', 'auto', (CPU_TENSOR,), precision='fp16')


def _plan(*dtypes, impl='auto', precision='fp32', half_kernels=True, device='cpu'):
    tensors = tuple(torch.zeros(1, dtype=dtype, device=device) for dtype in dtypes)
    return dispatch.plan(
        'pixel_propagation', impl, tensors, precision, pixels=49, half_kernels=half_kernels
    )


def test_dtype_contract_outside_autocast(monkeypatch):
    half_policy = dict(dispatch.HALF_INPUTS)
    # float32/float64 run as they are and return their dtype
    assert _plan(torch.float32).compute_dtype == torch.float32
    assert _plan(torch.float64, torch.float32).out_dtype == torch.float64
    # half inputs return their dtype; auto follows the device's measured policy
    for policy, compute in (('upcast', torch.float32), ('native', torch.bfloat16)):
        monkeypatch.setitem(dispatch.HALF_INPUTS, 'cpu', policy)
        call = _plan(torch.bfloat16)
        assert (call.compute_dtype, call.out_dtype) == (compute, torch.bfloat16)
    monkeypatch.setattr(dispatch, 'HALF_INPUTS', half_policy)
    # an explicit implementation runs the inputs' dtype; geometry/RoIAlign ops never do
    assert _plan(torch.float16, impl='pytorch').compute_dtype == torch.float16
    assert _plan(torch.float16, impl='pytorch', half_kernels=False).compute_dtype == torch.float32


def test_dtype_contract_under_autocast():
    with torch.autocast('cpu', dtype=torch.bfloat16):
        for impl in ('auto', 'pytorch'):
            call = _plan(torch.bfloat16, torch.float32, impl=impl)
            assert (call.compute_dtype, call.out_dtype) == (torch.float32, torch.float32)
        assert _plan(torch.float64).out_dtype == torch.float64


def test_precision_applies_to_float32_work():
    assert _plan(torch.float32, precision='bf16').compute_dtype == torch.bfloat16
    assert _plan(torch.float32, precision='bf16').out_dtype == torch.float32
    assert _plan(torch.float64, precision='bf16').compute_dtype == torch.float64
    # TF32 exists on CUDA only; on the CPU the GEMMs stay IEEE float32
    assert not _plan(torch.float32, precision='tf32').tf32
    cuda_float = SimpleNamespace(device=torch.device('cuda'), dtype=torch.float32)
    call = dispatch.plan('pixel_propagation', 'pytorch', (cuda_float,), 'tf32')
    assert call.tf32 and call.compute_dtype == torch.float32


def test_tf32_context_restores_the_setting():
    matmul = torch.backends.cuda.matmul
    read = (
        (lambda: matmul.fp32_precision)
        if hasattr(matmul, 'fp32_precision')
        else (lambda: matmul.allow_tf32)
    )
    before = read()
    with dispatch.tf32_matmul(True):
        assert read() in ('tf32', True)
    assert read() == before
