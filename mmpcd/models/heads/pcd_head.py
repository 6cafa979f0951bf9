"""PCD's head: per-pixel InfoNCE between student and teacher maps against a queue."""

from typing import List, Optional, Union

import torch
from mmengine.model import BaseModule
from torch import Tensor

from mmpcd.registry import MODELS

from ..losses import pcd_infonce_loss


# 'PixelContrastHead' is the name configs and checkpoints' configs written before used.
@MODELS.register_module(name=['PCDHead', 'PixelContrastHead'])
class PCDHead(BaseModule):
    """Per-pixel InfoNCE: positive = the corresponding teacher pixel, negatives = a queue.

    Mixed precision: the loss is computed in fp32 with autocast off, whatever the dtype of the
    maps (exp over 65536 negatives is fragile in half precision); PCD's one fp32 place.

    Args:
        temperature: Softmax temperature T. Defaults to 0.2 (official).
        chunk_size: See :func:`mmpcd.models.losses.pcd_infonce_loss`; None (default)
            bounds the memory of the (N*H*W, 1+K) logits, 0 computes them whole.
        init_cfg: Initialisation config. Defaults to None.
    """

    def __init__(
        self,
        temperature: float = 0.2,
        chunk_size: Optional[int] = None,
        init_cfg: Union[dict, List[dict], None] = None,
    ) -> None:
        super().__init__(init_cfg)
        if temperature <= 0:
            raise ValueError(f'temperature must be positive, got {temperature}.')
        self.temperature = temperature
        self.chunk_size = chunk_size

    def loss(self, student: Tensor, teacher: Tensor, queue: Tensor) -> Tensor:
        """Mean loss (fp32) over the pixels of ``student`` / ``teacher`` (N, D, H, W),
        negatives ``queue`` (D, K)."""
        with torch.autocast(device_type=student.device.type, enabled=False):
            return pcd_infonce_loss(
                student.float(), teacher.float(), queue.float(), self.temperature, self.chunk_size
            )
