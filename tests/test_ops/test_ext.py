import os

import pytest
import torch

from mmpcd.ops import CUDA_VALIDATED_OPS, ext_has_cuda, load_ext
from mmpcd.ops.dispatch import resolve_impl


@pytest.mark.skipif(os.getenv('MMPCD_WITH_OPS') == '0', reason='built without the extension')
def test_extension_is_built_so_the_cpu_kernels_are_tested():
    # `make setup` compiles mmpcd._ext; without it every 'cpu' test would be meaningless.
    assert load_ext() is not None


def test_auto_picks_the_cpu_kernels_for_cpu_tensors():
    expected = 'cpu' if load_ext() is not None else 'pytorch'
    assert resolve_impl('auto', 'pixel_propagation', torch.zeros(1)) == expected


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
def test_auto_uses_only_validated_cuda_kernels():
    tensor = torch.zeros(1, device='cuda')
    for op in ('pixel_propagation', 'dense_argmax_match', 'masked_pair_cosine', 'coord_distance'):
        expected = 'cuda' if op in CUDA_VALIDATED_OPS and ext_has_cuda() else 'pytorch'
        assert resolve_impl('auto', op, tensor) == expected
