"""Stage 2 of MasKD: distil a student from a frozen teacher through frozen receptive tokens.

The mmrazor 1.x shape without mmrazor: recorders on the student's and teacher's modules ->
connectors (per-level 1x1 aligners on the student) -> losses (:class:`MasKDLoss` and the
optional regression-distillation terms of the official configs).
"""

from contextlib import ExitStack
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModel
from torch import Tensor

from mmpcd.registry import MODELS

from .recorders import ModuleRecorder, get_submodule
from .utils import (
    LazyTeacherCheckpoint,
    ModelCfg,
    build_model,
    check_same_preprocessing,
    exclude_from_state_dict,
    freeze,
)

# Teacher modules run by extract_feat; other recorded heads are run explicitly.
_FEATURE_MODULES = ('backbone', 'neck')


def _levels(output) -> List[Tensor]:
    """A recorded output as a list of levels (a tensor is one level)."""
    return list(output) if isinstance(output, (tuple, list)) else [output]


@MODELS.register_module()
class MasKDDistiller(BaseModel):
    """MasKD for mmdet 3.x detectors and mmseg 1.x segmentors.

    Per training step the frozen teacher (eval mode, no grad) runs its backbone and neck
    plus every head one of its recorded modules lives in (e.g. ``decode_head`` for logits),
    then the student computes its own task losses while its modules are recorded. Losses:

    - student task losses (unchanged keys);
    - one MasKD term per entry of ``distill_points`` (``name``, default ``loss_maskd``):
      ``weight * maskd_loss(aligned student levels, teacher levels)``;
    - optional ``loss_roi_reg_kd``: the student's RoI regression vs the teacher's box head
      evaluated on the *student's* RoIs (two-stage detectors);
    - optional ``loss_head_reg_kd_{i}``: dense-head regression outputs, one loss per call
      (level) of the recorded module, summed.

    ``state_dict()`` holds the student, the aligners and the MasKD iteration counter, not
    the teacher or the tokens (rebuilt from ``teacher_ckpt`` and the token file), so
    checkpoints stay small and ``resume`` continues the customised-mask warm-up exactly.
    ``predict``/``_forward`` run the student alone.

    Args:
        student: Student config (full dict or ``dict(cfg_path='mmdet::...')``) or module.
        teacher: Teacher config or module.
        teacher_ckpt: Teacher weights (path, URL or zoo name; URLs through mmpcd's verified
            cache), loaded strictly at the start of training (:meth:`init_weights`), never
            at build; ``None`` only for a teacher module passed in already trained.
        maskd_loss: :class:`MasKDLoss` config (``tokens``, ``channels``, ...).
        distill_points: Where MasKD applies, each ``dict(student=path, teacher=path,
            name='loss_maskd', weight=1.0, align_channels=None)``; ``align_channels`` lists
            the student channels per level and adds a trainable 1x1 conv per level to the
            teacher's channels (the official detection aligners). Defaults to the necks,
            unaligned.
        roi_reg_kd: Optional ``dict(loss=dict(type='mmdet.SmoothL1Loss', loss_weight=1.0))``.
            Cascade teachers use their first stage.
        head_reg_kd: Optional list of ``dict(student=path, teacher=path, loss=cfg,
            name='loss_head_reg_kd')`` on modules called once per level.
        inherit: Student sub-modules initialised from the teacher's (the official
            "inheriting" strategy), e.g. ``('neck', 'bbox_head')``.
        data_preprocessor: Defaults to the student's; the teacher must normalise the same.
        teacher_ckpt_trust: Read ``teacher_ckpt`` with full unpickling (only for a file you
            trust that the weights-only reader refuses).
    """

    def __init__(
        self,
        student: ModelCfg,
        teacher: ModelCfg,
        teacher_ckpt: Optional[str],
        maskd_loss: dict,
        distill_points: Sequence[dict] = (dict(student='neck', teacher='neck'),),
        roi_reg_kd: Optional[dict] = None,
        head_reg_kd: Sequence[dict] = (),
        inherit: Sequence[str] = (),
        data_preprocessor: Optional[Union[dict, nn.Module]] = None,
        teacher_ckpt_trust: bool = False,
        init_cfg: Optional[dict] = None,
    ) -> None:
        student = build_model(student)
        trained_module = isinstance(teacher, nn.Module)  # else built, needs teacher_ckpt
        teacher = build_model(teacher)
        check_same_preprocessing(student, teacher)
        super().__init__(
            data_preprocessor=data_preprocessor or student.data_preprocessor, init_cfg=init_cfg
        )
        self.student = student
        self.teacher = teacher
        # Read at the start of training (init_weights), never while the model is built.
        self.teacher_checkpoint = LazyTeacherCheckpoint(
            teacher_ckpt, teacher_ckpt_trust, required=not trained_module
        )
        freeze(self.teacher)
        self.loss_maskd = MODELS.build(maskd_loss)

        self.distill_points = [self._check_point(p) for p in distill_points]
        self.connectors = nn.ModuleDict()
        teacher_channels = self.loss_maskd.channels  # checked against the tokens when read
        for index, point in enumerate(self.distill_points):
            if point['align_channels'] is not None:
                self.connectors[str(index)] = self._build_aligners(
                    point['align_channels'], teacher_channels
                )

        self.roi_reg_kd = None
        if roi_reg_kd is not None:
            for path in ('roi_head.bbox_roi_extractor', 'roi_head.bbox_head'):
                get_submodule(self.student, path)
            get_submodule(self.teacher, 'roi_head')
            self.roi_reg_kd = MODELS.build(roi_reg_kd['loss'])
        self.head_reg_kd = [self._check_head_term(cfg) for cfg in head_reg_kd]
        head_names = [h['name'] for h in self.head_reg_kd]
        if len(set(head_names)) != len(head_names) or {
            p['name'] for p in self.distill_points
        } & set(head_names):
            raise ValueError(
                f'head_reg_kd terms need names distinct from each other and from '
                f'the distill points; got {head_names}.'
            )
        self.head_reg_losses = nn.ModuleList(MODELS.build(cfg['loss']) for cfg in self.head_reg_kd)
        self.inherit = tuple(inherit)
        for path in self.inherit:
            get_submodule(self.student, path)
            get_submodule(self.teacher, path)
        exclude_from_state_dict(self, ('teacher.', 'loss_maskd.mask_modules.'))

    @staticmethod
    def _check_point(point: dict) -> dict:
        point = dict(point)
        unknown = set(point) - {'student', 'teacher', 'name', 'weight', 'align_channels'}
        if unknown or not {'student', 'teacher'} <= set(point):
            raise ValueError(
                f'A distill point needs student and teacher module paths and '
                f'may set name, weight, align_channels; got {sorted(point)}.'
            )
        point.setdefault('name', 'loss_maskd')
        point.setdefault('weight', 1.0)
        point.setdefault('align_channels', None)
        if 'loss' not in point['name']:
            raise ValueError(
                f'Distill point name {point["name"]!r} must contain "loss" to be '
                f'back-propagated by mmengine.'
            )
        return point

    @staticmethod
    def _check_head_term(cfg: dict) -> dict:
        cfg = dict(cfg)
        if set(cfg) - {'student', 'teacher', 'loss', 'name'} or not {
            'student',
            'teacher',
            'loss',
        } <= set(cfg):
            raise ValueError(
                f'A head_reg_kd term needs student, teacher and loss and may set '
                f'name; got {sorted(cfg)}.'
            )
        cfg.setdefault('name', 'loss_head_reg_kd')
        if 'loss' not in cfg['name']:
            raise ValueError(
                f'head_reg_kd name {cfg["name"]!r} must contain "loss" to be '
                f'back-propagated by mmengine.'
            )
        return cfg

    @staticmethod
    def _build_aligners(
        student_channels: Sequence[int], teacher_channels: Sequence[int]
    ) -> nn.ModuleList:
        if len(student_channels) != len(teacher_channels):
            raise ValueError(
                f'align_channels has {len(student_channels)} level(s) but the '
                f'tokens have {len(teacher_channels)}.'
            )
        # Plain 1x1 convs with PyTorch's default init (the official mmrazor 0.x aligners).
        return nn.ModuleList(
            nn.Conv2d(cs, ct, 1) for cs, ct in zip(student_channels, teacher_channels)
        )

    # ------------------------------------------------------------------ modes and init
    def train(self, mode: bool = True) -> 'MasKDDistiller':
        super().train(mode)
        self.teacher.eval()
        return self

    def init_weights(self) -> None:
        """Read the teacher's checkpoint and the tokens, initialise the student, then copy
        the ``inherit`` modules from the teacher."""
        self.teacher_checkpoint.load_into(self.teacher)
        self.loss_maskd.load_tokens()
        self.student.init_weights()
        for path in self.inherit:
            target = self.student.get_submodule(path)
            source = self.teacher.get_submodule(path)
            try:
                target.load_state_dict(source.state_dict(), strict=True)
            except RuntimeError as err:
                raise ValueError(
                    f'Cannot inherit student.{path} from teacher.{path}: their '
                    f'parameters differ ({err}).'
                ) from None

    # ------------------------------------------------------------------ forward
    def _teacher_forward(
        self, inputs: Tensor, recorders: Dict[str, ModuleRecorder]
    ) -> Tuple[Tensor]:
        """Backbone + neck, then each head holding a recorded module, without grad."""
        heads = []
        for recorder in recorders.values():
            head = recorder.source.split('.')[0]
            if head not in _FEATURE_MODULES and head not in heads:
                heads.append(head)
        with torch.no_grad(), ExitStack() as stack:
            for recorder in recorders.values():
                stack.enter_context(recorder)
            feats = self.teacher.extract_feat(inputs)
            for head in heads:
                getattr(self.teacher, head)(feats)
        return feats

    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        teacher_rec, student_rec = {}, {}
        for index, point in enumerate(self.distill_points):
            teacher_rec[f'p{index}'] = ModuleRecorder(self.teacher, point['teacher'])
            student_rec[f'p{index}'] = ModuleRecorder(self.student, point['student'])
        for index, cfg in enumerate(self.head_reg_kd):
            teacher_rec[f'h{index}'] = ModuleRecorder(self.teacher, cfg['teacher'])
            student_rec[f'h{index}'] = ModuleRecorder(self.student, cfg['student'])
        if self.roi_reg_kd is not None:
            student_rec['rois'] = ModuleRecorder(
                self.student, 'roi_head.bbox_roi_extractor', inputs=True
            )
            student_rec['bbox'] = ModuleRecorder(self.student, 'roi_head.bbox_head')

        self.teacher_checkpoint.load_into(self.teacher)  # entry points that skip init_weights
        teacher_feats = self._teacher_forward(inputs, teacher_rec)
        with ExitStack() as stack:
            for recorder in student_rec.values():
                stack.enter_context(recorder)
            losses = self.student.loss(inputs, data_samples)

        for index, point in enumerate(self.distill_points):
            feats_s = _levels(student_rec[f'p{index}'].get())
            feats_t = _levels(teacher_rec[f'p{index}'].get())
            if str(index) in self.connectors:
                aligners = self.connectors[str(index)]
                if len(aligners) != len(feats_s):
                    raise ValueError(
                        f'student.{point["student"]} returned {len(feats_s)} '
                        f'level(s); align_channels lists {len(aligners)}.'
                    )
                feats_s = [align(f) for align, f in zip(aligners, feats_s)]
            term = point['weight'] * self.loss_maskd(feats_s, feats_t)
            losses[point['name']] = losses.get(point['name'], 0) + term

        for index, cfg in enumerate(self.head_reg_kd):
            name = cfg['name']
            outs_s, outs_t = student_rec[f'h{index}'].data, teacher_rec[f'h{index}'].data
            if len(outs_s) != len(outs_t) or not outs_s:
                raise RuntimeError(
                    f'{cfg["student"]} ran {len(outs_s)} time(s) in the '
                    f'student and {cfg["teacher"]} {len(outs_t)} in the '
                    f'teacher; head distillation needs one call per level.'
                )
            losses[name] = sum(self.head_reg_losses[index](s, t) for s, t in zip(outs_s, outs_t))

        if self.roi_reg_kd is not None:
            losses['loss_roi_reg_kd'] = self._roi_reg_kd(
                teacher_feats, student_rec['rois'].get()[1], student_rec['bbox'].get()[1]
            )
        if self.training:
            self.loss_maskd.step()
        return losses

    def _roi_reg_kd(
        self, teacher_feats: Tuple[Tensor], rois: Tensor, student_pred: Tensor
    ) -> Tensor:
        """Regression of the teacher's box head on the student's RoIs (N_roi, 5) as the
        target of the student's (N_roi, 4 or 4K)."""
        roi_head = self.teacher.roi_head
        with torch.no_grad():
            if hasattr(roi_head, 'num_stages'):  # cascade: its first stage, as official
                teacher_pred = roi_head._bbox_forward(0, teacher_feats, rois)['bbox_pred']
            else:
                teacher_pred = roi_head._bbox_forward(teacher_feats, rois)['bbox_pred']
        if teacher_pred.shape != student_pred.shape:
            raise ValueError(
                f'RoI regression shapes differ: student {tuple(student_pred.shape)}'
                f', teacher {tuple(teacher_pred.shape)}; set the student\'s '
                f'bbox_head.reg_class_agnostic to match the teacher\'s.'
            )
        return self.roi_reg_kd(student_pred, teacher_pred)

    def predict(self, inputs: Tensor, data_samples: Optional[list] = None) -> list:
        return self.student.predict(inputs, data_samples)

    def _forward(self, inputs: Tensor, data_samples: Optional[list] = None):
        return self.student._forward(inputs, data_samples)

    def forward(self, inputs: Tensor, data_samples: Optional[list] = None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}"; only supports loss, predict and tensor.')
