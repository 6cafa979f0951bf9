"""PCD's head: per-pixel InfoNCE between student and teacher maps against a queue."""
from typing import List, Optional, Union

from mmengine.model import BaseModule
from torch import Tensor

from mmpcd.models.losses.pixel_infonce import pixel_infonce_loss
from mmpcd.registry import MODELS


@MODELS.register_module()
class PixelContrastHead(BaseModule):
    """Per-pixel InfoNCE: positive = the corresponding teacher pixel, negatives = a queue.

    Args:
        temperature: Softmax temperature T. Defaults to 0.2 (official).
        chunk_size: See :func:`mmpcd.models.losses.pixel_infonce_loss`; None (default)
            bounds the memory of the (N*H*W, 1+K) logits, 0 computes them whole.
        init_cfg: Initialisation config. Defaults to None.
    """

    def __init__(self,
                 temperature: float = 0.2,
                 chunk_size: Optional[int] = None,
                 init_cfg: Union[dict, List[dict], None] = None) -> None:
        super().__init__(init_cfg)
        if temperature <= 0:
            raise ValueError(f'temperature must be positive, got {temperature}.')
        self.temperature = temperature
        self.chunk_size = chunk_size

    def loss(self, student: Tensor, teacher: Tensor, queue: Tensor) -> Tensor:
        """Mean loss over the pixels of ``student`` / ``teacher`` (N, D, H, W), negatives
        ``queue`` (D, K)."""
        return pixel_infonce_loss(student, teacher, queue, self.temperature, self.chunk_size)
