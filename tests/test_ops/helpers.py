"""Inputs and implementation lists shared by the op tests."""

import pytest
import torch

from mmpcd.ops import ext_has_cuda, load_ext

CUDA = torch.cuda.is_available()


def compiled_impls():
    """(impl, device) pairs of the compiled kernels to check against the reference; CUDA ones
    are skipped cleanly without a GPU."""
    cuda = pytest.param(
        'cuda',
        'cuda',
        marks=pytest.mark.skipif(
            not (CUDA and load_ext() is not None and ext_has_cuda()),
            reason='needs a GPU and mmpcd._ext built with CUDA',
        ),
    )
    return [('cpu', 'cpu'), cuda]


def random_coord(
    num: int, generator: torch.Generator, flip_prob: float = 0.5, dtype=torch.float32
) -> torch.Tensor:
    """(num, 4) crop boxes in [0, 1] (PixPro convention), some flipped horizontally."""
    low = torch.rand(num, 2, generator=generator) * 0.6
    size = 0.1 + torch.rand(num, 2, generator=generator) * 0.4
    coord = torch.cat([low, low + size], dim=1)
    flip = torch.rand(num, generator=generator) < flip_prob
    coord[flip] = coord[flip][:, [2, 1, 0, 3]]
    return coord.to(dtype)


def overlapping_pair(num: int, generator: torch.Generator, dtype=torch.float32):
    """Two views with overlapping crops (view k is view q shifted a little), flips random."""
    coord_q = random_coord(num, generator, dtype=dtype)
    shift = (torch.rand(num, 2, generator=generator) - 0.5) * 0.1
    coord_k = coord_q + shift.repeat(1, 2).to(dtype)
    flip = torch.rand(num, generator=generator) < 0.5
    coord_k[flip] = coord_k[flip][:, [2, 1, 0, 3]]
    return coord_q, coord_k


def disjoint_pair(num: int, dtype=torch.float32):
    """Two views whose crops do not overlap at all."""
    coord_q = torch.tensor([[0.0, 0.0, 0.3, 0.3]], dtype=dtype).repeat(num, 1)
    coord_k = torch.tensor([[0.9, 0.6, 0.6, 0.9]], dtype=dtype).repeat(num, 1)  # flipped too
    return coord_q, coord_k
