"""PCD's frozen teacher: a pretrained backbone followed by its SpatialAdaptor-ed head."""

from typing import List, Optional, Union

import torch.nn.functional as F
from torch import Tensor

from mmpcd.hub.resolve import Resolved
from mmpcd.registry import MODELS

from .checkpointed_teacher import CheckpointedTeacher
from .layouts import LAYOUTS, load_teacher


@MODELS.register_module()
class PCDTeacher(CheckpointedTeacher):
    """Frozen teacher: ``SpatialAdaptor(backbone(x)[-1])``, one D-vector per pixel.

    A ViT teacher (``VisionTransformer`` with ``out_type='featmap'``: the patch tokens after the
    final norm as a (N, C, 14, 14) map at 224 px, the class token left out) runs its head on
    every token and is average-pooled to the student's grid with ``out_size``, as the official
    ``pcd/teacher_model/mocov3_vit.py`` (``ModifiedMLP``, pooled to 7 x 7). Its head was
    trained on the class token, so the pooled output is not the head's output on it (the
    ResNet teachers' SpatialAdaptor invariance does not carry over).

    Weights come from ``checkpoint`` when training starts (:meth:`init_weights`, see
    :class:`CheckpointedTeacher`), through :func:`mmpcd.models.teachers.layouts.load_teacher`
    in the checkpoint's ``layout`` (a zoo teacher brings its own layout).

    Args:
        backbone: Backbone config with a single output level, e.g.
            ``dict(type='ResNet', depth=50, out_indices=(3,))``.
        adaptor: ``SpatialAdaptor`` config shaped like the checkpoint's head.
        checkpoint: Checkpoint file, URL or zoo model, or ``'random'`` (smoke tests). In
            configs, set the top-level ``teacher_checkpoint`` or this key (see
            ``mmpcd.engine.runners.resolve_teacher_checkpoint``).
        layout: Checkpoint layout, a key of ``layouts.LAYOUTS``. Defaults to ``'mocov3'``
            (the official MoCo v3 checkpoint).
        trust: Read the checkpoint with full unpickling (only for files you trust; the
            top-level ``teacher_checkpoint_trust=True`` sets it).
        out_size: Average-pool the output map to ``out_size x out_size`` (the student's
            grid), or None (default) to keep the backbone's.
        init_cfg: Initialisation config of the random teacher. Defaults to None.

    Input: (N, 3, H0, W0). Output: (N, D, H, W).
    """

    config_key = 'teacher_checkpoint'
    trust_switch = 'teacher_checkpoint_trust=True (or model.teacher.trust=True)'

    def __init__(
        self,
        backbone: dict,
        adaptor: dict,
        checkpoint: Optional[str] = None,
        layout: str = 'mocov3',
        trust: bool = False,
        out_size: Optional[int] = None,
        init_cfg: Union[dict, List[dict], None] = None,
    ) -> None:
        super().__init__(checkpoint, trust, init_cfg)
        if layout not in LAYOUTS:
            raise ValueError(f'Unknown teacher layout {layout!r}; expected one of {list(LAYOUTS)}.')
        self.layout = layout
        self.backbone = MODELS.build(backbone)
        self.adaptor = MODELS.build(adaptor)
        self.out_size = out_size
        self.requires_grad_(False)

    def load_teacher_weights(self, checkpoint: dict, resolved: Resolved) -> None:
        entry = resolved.entry
        layout = entry.teacher_layout if entry is not None and entry.teacher_layout else self.layout
        load_teacher(self.backbone, self.adaptor, checkpoint, resolved.path, layout)

    def forward(self, x: Tensor) -> Tensor:
        feats = self.backbone(x)
        if len(feats) != 1:
            raise ValueError(
                f'The PCD teacher needs a single backbone level, got {len(feats)} '
                '(set out_indices=(3,) on a ResNet).'
            )
        out = self.adaptor(feats[0])
        if self.out_size is not None:
            out = F.adaptive_avg_pool2d(out, self.out_size)
        return out
