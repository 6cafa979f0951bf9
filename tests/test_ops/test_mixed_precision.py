"""float16/bfloat16 inputs, autocast and the tensor-core precisions of every op.

Tolerances (relative to the largest float64 magnitude, inputs rounded to the half dtype first
so that only the op's own arithmetic is measured): bfloat16 3e-2 (8-bit mantissa, its GEMM
outputs are rounded), float16 5e-3, precision='bf16' on float32 inputs 3e-2.
"""

import pytest
import torch

from mmpcd.ops import (
    align_views,
    coord_distance,
    dense_argmax_match,
    dispatch,
    masked_pair_cosine,
    pixel_propagation,
)

from .helpers import compiled_impls, overlapping_pair

TOLERANCE = {torch.bfloat16: 3e-2, torch.float16: 5e-3}
HALF = list(TOLERANCE)
IMPLS = [('pytorch', 'cpu')] + compiled_impls()


def relative_error(actual: torch.Tensor, expected: torch.Tensor) -> float:
    difference = (actual.detach().double() - expected.detach().double()).abs().max()
    return float(difference / expected.detach().abs().max())


def features(*shape, dtype=torch.float32, device='cpu', seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator).to(device=device, dtype=dtype)


def exact_twin(tensor: torch.Tensor) -> torch.Tensor:
    """A float64 leaf with the same (already rounded) values."""
    return tensor.detach().double().requires_grad_(tensor.requires_grad)


def check_grads(outputs, inputs, exact_outputs, exact_inputs, tolerance):
    weight = torch.randn(
        exact_outputs.shape, generator=torch.Generator().manual_seed(9), dtype=torch.float64
    ).to(exact_outputs.device)
    grads = torch.autograd.grad((outputs.double() * weight).sum(), inputs)
    expected = torch.autograd.grad((exact_outputs * weight).sum(), exact_inputs)
    for grad, exact, leaf in zip(grads, expected, inputs):
        assert grad.dtype == leaf.dtype
        assert relative_error(grad, exact) < tolerance


@pytest.mark.parametrize('impl,device', IMPLS)
@pytest.mark.parametrize('dtype', HALF)
@pytest.mark.parametrize('shape', [(2, 8, 6, 7, 7), (1, 6, 5, 17, 19)])  # 1 and 2 tiles
def test_pixel_propagation_half_inputs(impl, device, dtype, shape):
    n, c, cv, h, w = shape
    x = features(n, c, h, w, dtype=dtype, device=device).requires_grad_()
    value = features(n, cv, h, w, dtype=dtype, device=device, seed=1).requires_grad_()
    out = pixel_propagation(x, value, 2.0, impl=impl)
    exact_x, exact_value = exact_twin(x), exact_twin(value)
    exact = pixel_propagation(exact_x, exact_value, 2.0, impl='pytorch')
    assert out.dtype == dtype
    assert relative_error(out, exact) < TOLERANCE[dtype]
    check_grads(out, (x, value), exact, (exact_x, exact_value), TOLERANCE[dtype])


@pytest.mark.parametrize('impl,device', IMPLS)
@pytest.mark.parametrize('dtype', HALF)
def test_dense_argmax_match_half_inputs_find_a_best_match(impl, device, dtype):
    q = features(2, 16, 9, 11, dtype=dtype, device=device)
    k = features(2, 16, 8, 7, dtype=dtype, device=device, seed=1)
    chosen = dense_argmax_match(q, k, impl=impl)
    unit_q, unit_k = (torch.nn.functional.normalize(t.double().flatten(2), dim=1) for t in (q, k))
    cosine = torch.bmm(unit_q.transpose(1, 2), unit_k)
    lost = cosine.max(dim=2).values - cosine.gather(2, chosen[..., None])[..., 0]
    assert chosen.dtype == torch.int64 and float(lost.max()) < TOLERANCE[dtype]


@pytest.mark.parametrize('impl,device', IMPLS)
@pytest.mark.parametrize('dtype', HALF)
def test_masked_pair_cosine_half_inputs(impl, device, dtype):
    coord_q, coord_k = (c.to(device) for c in overlapping_pair(3, torch.Generator().manual_seed(2)))
    pred = features(3, 8, 9, 9, dtype=dtype, device=device).requires_grad_()
    target = features(3, 8, 7, 7, dtype=dtype, device=device, seed=1).requires_grad_()
    out = masked_pair_cosine(pred, target, coord_q, coord_k, impl=impl)
    exact_pred, exact_target = exact_twin(pred), exact_twin(target)
    exact = masked_pair_cosine(
        exact_pred, exact_target, coord_q.double(), coord_k.double(), impl='pytorch'
    )
    assert out.dtype == dtype
    assert relative_error(out, exact) < TOLERANCE[dtype]
    check_grads(out, (pred, target), exact, (exact_pred, exact_target), TOLERANCE[dtype])


@pytest.mark.parametrize('impl', ['auto', 'pytorch', 'cpu'])
def test_half_boxes_are_measured_in_float32(impl):
    coord_q, coord_k = overlapping_pair(2, torch.Generator().manual_seed(3))
    out = coord_distance(coord_q.bfloat16(), coord_k.bfloat16(), (5, 5), (4, 6), impl=impl)
    expected = coord_distance(
        coord_q.bfloat16().float(), coord_k.bfloat16().float(), (5, 5), (4, 6), impl=impl
    )
    assert out.dtype == torch.float32 and torch.equal(out, expected)


@pytest.mark.parametrize('dtype', HALF)
def test_align_views_half_features(dtype):
    coord_q, coord_k = overlapping_pair(2, torch.Generator().manual_seed(4))
    feat = features(2, 4, 8, 8, dtype=dtype).requires_grad_()
    aligned, valid = align_views(feat, coord_q, coord_k)
    expected, _ = align_views(feat.detach().float(), coord_q, coord_k)
    assert aligned.dtype == dtype and valid.all()
    assert relative_error(aligned, expected) < TOLERANCE[dtype]
    aligned.float().sum().backward()
    assert feat.grad.dtype == dtype


def test_auto_half_inputs_follow_the_measured_policy():
    x = features(2, 8, 7, 7, dtype=torch.bfloat16)
    value = features(2, 8, 7, 7, dtype=torch.bfloat16, seed=1)
    out = pixel_propagation(x, value)
    if dispatch.HALF_INPUTS['cpu'] == 'upcast':
        expected = pixel_propagation(x.float(), value.float()).bfloat16()
    else:
        expected = pixel_propagation(x, value, impl='cpu')
    assert torch.equal(out, expected)


def _ops_on(x, value, coord_q, coord_k, impl):
    return dict(
        pixel_propagation=pixel_propagation(x, value, impl=impl),
        masked_pair_cosine=masked_pair_cosine(x, value, coord_q, coord_k, impl=impl),
        dense_argmax_match=dense_argmax_match(x, value, impl=impl),
        align_views=align_views(x, coord_q, coord_k, impl=impl)[0],
    )


@pytest.mark.parametrize('impl', ['auto', 'pytorch', 'cpu'])
@pytest.mark.parametrize('dtype', [torch.float32, torch.bfloat16])
def test_under_autocast_every_op_is_a_float32_op(impl, dtype):
    """Under autocast the ops compute exactly what they compute on float32 inputs outside it
    (the GEMMs inside the extension are not autocast back to bfloat16) and return float32."""
    coord_q, coord_k = overlapping_pair(2, torch.Generator().manual_seed(5))
    x = features(2, 8, 7, 7, dtype=dtype).requires_grad_()
    value = features(2, 8, 7, 7, dtype=dtype, seed=1).requires_grad_()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        outs = _ops_on(x, value, coord_q, coord_k, impl)
    expected = _ops_on(x.detach().float(), value.detach().float(), coord_q, coord_k, impl)
    for name, out in outs.items():
        assert out.dtype == expected[name].dtype, name
        assert torch.equal(out, expected[name]), name
    loss = outs['pixel_propagation'].sum() + outs['masked_pair_cosine'].sum()
    loss.backward()
    assert x.grad.dtype == dtype and torch.isfinite(x.grad).all()


@pytest.mark.parametrize('impl,device', IMPLS)
def test_bf16_precision_of_float32_inputs(impl, device):
    x = features(2, 16, 17, 19, device=device).requires_grad_()
    value = features(2, 16, 17, 19, device=device, seed=1).requires_grad_()
    out = pixel_propagation(x, value, impl=impl, precision='bf16')
    exact_x, exact_value = exact_twin(x), exact_twin(value)
    exact = pixel_propagation(exact_x, exact_value, impl='pytorch')
    assert out.dtype == torch.float32
    assert relative_error(out, exact) < 3e-2
    check_grads(out, (x, value), exact, (exact_x, exact_value), 3e-2)
    chosen = dense_argmax_match(x, value, impl=impl, precision='bf16')
    assert chosen.shape == (2, 17 * 19)


@pytest.mark.parametrize('impl', ['pytorch', 'cpu'])
def test_tf32_is_ieee_float32_on_the_cpu(impl):
    x = features(2, 8, 7, 7)
    value = features(2, 8, 7, 7, seed=1)
    assert torch.equal(
        pixel_propagation(x, value, impl=impl, precision='tf32'),
        pixel_propagation(x, value, impl=impl),
    )
    assert torch.equal(
        dense_argmax_match(x, value, impl=impl, precision='tf32'),
        dense_argmax_match(x, value, impl=impl),
    )


def test_tf32_reference_keeps_its_gradients():
    """The reference's TF32 path runs forward and backward inside the TF32 context
    (_TF32Subgraph); the gradients are those of the plain computation."""
    x = features(2, 8, 5, 5).requires_grad_()
    value = features(2, 8, 5, 5, seed=1).requires_grad_()
    tf32_plan = dispatch.Plan('pytorch', torch.float32, torch.float32, tf32=True)
    from mmpcd.ops.pixel_propagation import pixel_propagation_pytorch

    out = dispatch.run_reference(tf32_plan, pixel_propagation_pytorch, x, value)
    expected = pixel_propagation_pytorch(x, value)
    assert torch.equal(out, expected)
    grad = torch.randn_like(out)
    for a, e in zip(
        torch.autograd.grad(out, (x, value), grad), torch.autograd.grad(expected, (x, value), grad)
    ):
        assert torch.allclose(a, e, rtol=1e-6, atol=1e-7)
