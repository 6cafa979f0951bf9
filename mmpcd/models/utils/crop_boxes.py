"""The crop boxes of the views, as PixPro and PCD read them from the data samples."""

from typing import List

import torch
from mmpretrain.structures import DataSample
from torch import Tensor

PIPELINE_HINT = (
    'build the views with MultiViewWithCoord (RandomResizedCropWithCoord, '
    "RandomFlipWithCoord) and pack them with PackInputs(algorithm_keys=['coord']) "
    '(see configs/_base_/datasets/imagenet_bs64_pixpro.py)'
)


def crop_boxes(data_samples: List[DataSample], device: torch.device, owner: str) -> Tensor:
    """Crop boxes (N, V, 4) in fp32 from every sample's ``coord`` (V, 4).

    Raises:
        ValueError: if a sample has no ``coord`` (naming ``owner``, who needs them, and the
            pipeline that provides them).
    """
    missing = sum('coord' not in sample for sample in data_samples or ())
    if not data_samples or missing:
        found = f'{missing} of {len(data_samples)} have none' if data_samples else 'none given'
        raise ValueError(
            f'{owner} needs the crop box of every view in the data samples '
            f'({found}): {PIPELINE_HINT}.'
        )
    boxes = torch.stack(
        [torch.as_tensor(sample.coord, dtype=torch.float32) for sample in data_samples]
    )
    return boxes.to(device)
