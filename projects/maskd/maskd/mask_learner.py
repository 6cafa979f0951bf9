"""Stage 1 of MasKD: learn receptive tokens on a frozen teacher with its own task loss."""

from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Sequence, Union

import torch.nn as nn
from mmengine.model import BaseModel
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from mmpcd.registry import MODELS

from .mask_module import MaskModule
from .recorders import get_submodule
from .utils import LazyTeacherCheckpoint, ModelCfg, build_model, exclude_from_state_dict, freeze


@MODELS.register_module()
class MaskLearner(BaseModel):
    """Learn MasKD's receptive tokens on a frozen teacher detector or segmentor.

    A forward hook replaces the output of ``teacher.<module>`` by the masked mixture
    ``sum_t p_t * M_t * F`` of each level (one :class:`MaskModule` per level), so the
    teacher's own heads and task loss train the tokens; the Dice diversity coefficient of
    every level is added as ``loss_mask_div_{level}`` (weight 1, official).

    - Detection: ``module='neck'`` (the FPN tuple, one module per level, 6 tokens, weighted).
    - Segmentation: ``module='decode_head.conv_seg'`` (the logits (N, K, H, W), one module
      with 8 tokens and ``weight_mask=False``).

    The teacher is frozen and kept in eval mode (BN statistics fixed). Only the tokens are
    in ``state_dict()``: the teacher comes from ``teacher_ckpt`` each time, so training
    checkpoints stay small and ``resume`` still works; :class:`ExportTokensHook` writes the
    token file stage 2 reads.

    Args:
        teacher: Teacher config (full dict or ``dict(cfg_path='mmdet::...')``) or module.
        teacher_ckpt: Teacher weights (path, URL or zoo name; URLs through mmpcd's verified
            cache), loaded strictly at the start of training (:meth:`init_weights`) or at the
            first forward, never at build; ``None`` only for tests and a teacher module
            passed in already trained.
        channels: Channels of each level of ``module``'s output, e.g. ``[256] * 5``.
        module: Dotted path of the teacher module whose output is masked.
        num_tokens: Tokens per level. Defaults to 6.
        weight_mask: Use the weighting branch. Defaults to True.
        data_preprocessor: Defaults to the teacher's.
        teacher_ckpt_trust: Read ``teacher_ckpt`` with full unpickling (only for a file you
            trust that the weights-only reader refuses).
    """

    def __init__(
        self,
        teacher: ModelCfg,
        teacher_ckpt: Optional[str],
        channels: Sequence[int],
        module: str = 'neck',
        num_tokens: int = 6,
        weight_mask: bool = True,
        data_preprocessor: Optional[Union[dict, nn.Module]] = None,
        teacher_ckpt_trust: bool = False,
        init_cfg: Optional[dict] = None,
    ) -> None:
        trained_module = isinstance(teacher, nn.Module)  # else built, needs teacher_ckpt
        teacher = build_model(teacher)
        super().__init__(
            data_preprocessor=data_preprocessor or teacher.data_preprocessor, init_cfg=init_cfg
        )
        self.teacher = teacher
        # Read at the start of training (init_weights), never while the model is built.
        self.teacher_checkpoint = LazyTeacherCheckpoint(
            teacher_ckpt, teacher_ckpt_trust, required=not trained_module
        )
        freeze(self.teacher)
        self.teacher_ckpt = teacher_ckpt  # recorded in the token file
        self.masked_module = module  # not 'module': mmengine reads that as a wrapper
        get_submodule(self.teacher, module)  # fail early on a wrong path
        self.mask_modules = nn.ModuleList(MaskModule(c, num_tokens, weight_mask) for c in channels)
        self._div_losses: List[Tensor] = []
        # The teacher is restored from teacher_ckpt, not from checkpoints of this model.
        exclude_from_state_dict(self, ('teacher.',))

    def train(self, mode: bool = True) -> 'MaskLearner':
        """The teacher computes its training losses in ``mode`` (RepPoints' head returns its
        loss inputs only in training), with frozen BN statistics (official: BN eval every
        iteration) and no dropout: the tokens learn against one deterministic teacher."""
        super().train(mode)
        for module in self.teacher.modules():
            if isinstance(module, (_BatchNorm, nn.modules.dropout._DropoutNd)):
                module.eval()
        return self

    def init_weights(self) -> None:
        """Read the teacher's checkpoint (the tokens initialise themselves)."""
        self.teacher_checkpoint.load_into(self.teacher)

    def _mask_output(self, module: nn.Module, args: tuple, output):
        levels = output if isinstance(output, (tuple, list)) else (output,)
        if len(levels) != len(self.mask_modules):
            raise ValueError(
                f'teacher.{self.masked_module} returned {len(levels)} level(s) but '
                f'MaskLearner has tokens for {len(self.mask_modules)}; set '
                f'channels to one entry per level.'
            )
        mixed = []
        for mask_module, feat in zip(self.mask_modules, levels):
            out, div = mask_module.forward_train(feat)
            mixed.append(out)
            self._div_losses.append(div)
        return type(output)(mixed) if isinstance(output, (tuple, list)) else mixed[0]

    @contextmanager
    def masked_teacher(self) -> Iterator[None]:
        """Within this context the teacher's heads see the masked features."""
        self.teacher_checkpoint.load_into(self.teacher)  # entry points that skip init_weights
        self._div_losses = []
        target = self.teacher.get_submodule(self.masked_module)
        handle = target.register_forward_hook(self._mask_output)
        try:
            yield
        finally:
            handle.remove()

    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """Teacher task losses on masked features plus ``loss_mask_div_{level}``."""
        with self.masked_teacher():
            losses = self.teacher.loss(inputs, data_samples)
        if len(self._div_losses) != len(self.mask_modules):
            raise RuntimeError(
                f'teacher.{self.masked_module} ran {len(self._div_losses)} '
                f'time(s) per level set; expected once.'
            )
        for level, div in enumerate(self._div_losses):
            losses[f'loss_mask_div_{level}'] = div
        return losses

    def predict(self, inputs: Tensor, data_samples: Optional[list] = None) -> list:
        """Teacher predictions on masked features: a sanity metric of the tokens."""
        with self.masked_teacher():
            return self.teacher.predict(inputs, data_samples)

    def _forward(self, inputs: Tensor, data_samples: Optional[list] = None):
        with self.masked_teacher():
            return self.teacher._forward(inputs, data_samples)

    def forward(self, inputs: Tensor, data_samples: Optional[list] = None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}"; only supports loss, predict and tensor.')
