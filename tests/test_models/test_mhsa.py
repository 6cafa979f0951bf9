"""MHSA neck: shape-preserving, relates pixels, position encodings, clear errors."""

import math

import pytest
import torch

from mmpcd.models.necks import MHSA
from mmpcd.models.necks.mhsa import sincos_position


@pytest.mark.parametrize('pos_encoding', ['none', 'sincos', 'learned', 'relative'])
def test_shape_preserved_and_pixels_related(pos_encoding):
    torch.manual_seed(0)
    mhsa = MHSA(32, num_heads=8, pos_encoding=pos_encoding, feat_size=4)
    x = torch.randn(2, 32, 4, 4, requires_grad=True)
    y = mhsa(x)
    assert y.shape == x.shape
    # The output at one pixel depends on the input at another one (unlike a 1x1 conv) ...
    (grad,) = torch.autograd.grad(y[0, :, 0, 0].sum(), x)
    assert grad[0, :, 3, 3].abs().sum() > 0
    # ... but never on another image.
    assert grad[1].abs().sum() == 0
    # Smaller maps than feat_size work for every encoding; a backbone's 1-tuple is accepted.
    assert mhsa((torch.randn(1, 32, 2, 3),)).shape == (1, 32, 2, 3)


def test_position_encoding_breaks_permutation_equivariance():
    """Without positions self-attention commutes with a permutation of the pixels; each
    encoding must break that."""
    torch.manual_seed(0)
    x = torch.randn(1, 32, 3, 3)
    perm = torch.randperm(9)

    def permuted(t):
        return t.flatten(2)[:, :, perm].reshape_as(t)

    for pos_encoding in ('none', 'sincos', 'learned', 'relative'):
        mhsa = MHSA(32, pos_encoding=pos_encoding, feat_size=3)
        gap = (mhsa(permuted(x)) - permuted(mhsa(x))).abs().max()
        assert (gap < 1e-5) == (pos_encoding == 'none'), pos_encoding


def test_layers_ffn_and_parameters():
    mhsa = MHSA(32, num_layers=2, ffn_ratio=0)
    assert len(mhsa.blocks) == 2 and mhsa.blocks[0].ffn is None
    mhsa = MHSA(32, ffn_ratio=2)
    assert mhsa.blocks[0].ffn[0].out_features == 64
    names = [n for n, _ in MHSA(32, pos_encoding='relative', feat_size=7).named_parameters()]
    assert 'blocks.0.rel_pos_bias' in names and 'blocks.0.norm1.weight' in names


def sincos_reference(height, width, dim):
    """The code written out: row-major tokens, channels [sin y, cos y, sin x, cos x] over
    dim / 4 frequencies 10000^(-k / (dim / 4))."""
    code = torch.empty(height * width, dim)
    quarter = dim // 4
    for y in range(height):
        for x in range(width):
            for k in range(quarter):
                omega = 1.0 / 10000 ** (k / quarter)
                code[y * width + x, [k, quarter + k, 2 * quarter + k, 3 * quarter + k]] = (
                    torch.tensor(
                        [
                            math.sin(y * omega),
                            math.cos(y * omega),
                            math.sin(x * omega),
                            math.cos(x * omega),
                        ]
                    )
                )
    return code


@pytest.mark.parametrize('size', [(7, 7), (3, 5), (5, 2)])
def test_sincos_code_is_row_major_y_then_x_and_unique_per_position(size):
    code = sincos_position(*size, 64)
    torch.testing.assert_close(code, sincos_reference(*size, 64), atol=1e-5, rtol=0)
    cells = size[0] * size[1]
    assert torch.cdist(code, code).add(torch.eye(cells)).min() > 0.1


def test_clear_errors():
    with pytest.raises(ValueError, match='must divide'):
        MHSA(30, num_heads=8)
    with pytest.raises(ValueError, match='divisible by 4'):
        MHSA(30, num_heads=3, pos_encoding='sincos')
    with pytest.raises(ValueError, match='Unknown MHSA pos_encoding'):
        MHSA(32, pos_encoding='rope')
    with pytest.raises(ValueError, match='raise feat_size'):
        MHSA(32, pos_encoding='relative', feat_size=2)(torch.randn(1, 32, 3, 3))
