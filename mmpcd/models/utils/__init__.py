"""Building blocks shared by models: queues, crop boxes, EMA checks, pointwise MLPs and the
checked ``Pretrained`` initializer."""

from .crop_boxes import crop_boxes
from .ema_momentum import check_ema_momentum
from .pretrained import (
    CheckedPretrainedInit,
    LoadReport,
    PretrainedLoadError,
    load_pretrained,
    prefixed_state_dict,
)
from .queue import check_batch_fits, enqueue

__all__ = [
    'crop_boxes',
    'check_ema_momentum',
    'CheckedPretrainedInit',
    'LoadReport',
    'PretrainedLoadError',
    'load_pretrained',
    'prefixed_state_dict',
    'check_batch_fits',
    'enqueue',
]
