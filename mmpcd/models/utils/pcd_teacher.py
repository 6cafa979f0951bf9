"""PCD's frozen teacher: a pretrained backbone followed by its SpatialAdaptor-ed head."""
from typing import List, Optional, Union

from mmengine.model import BaseModule
from torch import Tensor

from mmpcd.registry import MODELS
from .teacher_loader import RANDOM_TEACHER, load_teacher


@MODELS.register_module()
class PCDTeacher(BaseModule):
    """Frozen teacher: ``SpatialAdaptor(backbone(x)[-1])``, one D-vector per pixel.

    Weights come from ``checkpoint`` when the module is built (see
    :func:`mmpcd.models.utils.teacher_loader.load_teacher`); the module is then marked
    initialised so that the runner's ``init_weights`` leaves it alone. All parameters have
    ``requires_grad=False``.

    Args:
        backbone: Backbone config with a single output level, e.g.
            ``dict(type='ResNet', depth=50, out_indices=(3,))``.
        adaptor: ``SpatialAdaptor`` config shaped like the checkpoint's head.
        checkpoint: Checkpoint file, or ``'random'`` to keep random weights (smoke tests).
        layout: Checkpoint layout, a key of ``teacher_loader.LAYOUTS``. Defaults to
            ``'mocov3'`` (the official MoCo v3 checkpoint).
        init_cfg: Initialisation config of the random teacher. Defaults to None.

    Input: (N, 3, H0, W0). Output: (N, D, H, W).
    """

    def __init__(self,
                 backbone: dict,
                 adaptor: dict,
                 checkpoint: Optional[str] = None,
                 layout: str = 'mocov3',
                 init_cfg: Union[dict, List[dict], None] = None) -> None:
        super().__init__(init_cfg)
        if not checkpoint:
            raise ValueError('PCD teacher has no checkpoint: set teacher_checkpoint in the config '
                             '(or model.teacher.checkpoint), or "random" for a smoke test.')
        self.backbone = MODELS.build(backbone)
        self.adaptor = MODELS.build(adaptor)
        if checkpoint != RANDOM_TEACHER:
            load_teacher(self.backbone, self.adaptor, checkpoint, layout)
            # A random teacher is initialised by the runner's init_weights like the student.
            self._is_init = True
        self.requires_grad_(False)

    def forward(self, x: Tensor) -> Tensor:
        feats = self.backbone(x)
        if len(feats) != 1:
            raise ValueError(f'The PCD teacher needs a single backbone level, got {len(feats)} '
                             '(set out_indices=(3,) on a ResNet).')
        return self.adaptor(feats[0])
