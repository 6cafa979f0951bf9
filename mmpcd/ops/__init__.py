"""Pixel-correspondence ops: one Python API each, three implementations behind it.

``impl='pytorch'`` is the reference, ``'cpu'``/``'cuda'`` the kernels of ``mmpcd._ext``
(``mmpcd/ops/csrc``, loaded by :mod:`.ext`), ``'auto'`` (default) the choice of
:mod:`.dispatch`: the device's kernel where it is built, validated and not slower than the
reference at that size, else the reference. Imports torch only (torchvision when ``align_views``
runs, for RoIAlign), so the ops can be built and tested alone on a GPU machine.
"""

from .align_views import align_views, crop_intersection
from .coord import cell_centers, coord_distance, coord_positive_mask
from .dense_match import dense_argmax_match
from .dispatch import CUDA_VALIDATED_LOW_PRECISION_OPS, CUDA_VALIDATED_OPS, PRECISIONS, upcast_half
from .ext import ext_has_cuda, load_ext
from .masked_pair_cosine import masked_pair_cosine
from .pixel_propagation import pixel_propagation

__all__ = [
    'align_views',
    'cell_centers',
    'coord_distance',
    'coord_positive_mask',
    'crop_intersection',
    'dense_argmax_match',
    'masked_pair_cosine',
    'pixel_propagation',
    'load_ext',
    'ext_has_cuda',
    'CUDA_VALIDATED_OPS',
    'CUDA_VALIDATED_LOW_PRECISION_OPS',
    'PRECISIONS',
    'upcast_half',
]
