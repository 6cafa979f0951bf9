"""Load a pretrained self-supervised ResNet teacher (backbone + projection head) for PCD.

Each layout names where a checkpoint keeps the teacher's backbone and its vector projection
head, and which head modules PCD leaves out (MoCo v3's final affine-free BN). The head's
``Linear``/``BatchNorm1d`` tensors go into the matching layers of a
:class:`~mmpcd.models.necks.SpatialAdaptor` (linear weights reshaped to 1x1 convs, BN running
statistics included). Any missing, unexpected or mis-shaped tensor of the teacher is an error
that names the keys; tensors of other networks in the checkpoint (the online/base encoder,
predictor, prototypes) are ignored and counted in the log.
"""
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import print_log

from mmpcd.models.necks.spatial_adaptor import vector_state_to_spatial

# ``teacher_checkpoint`` value that keeps a randomly initialised teacher (smoke tests only).
RANDOM_TEACHER = 'random'


@dataclass(frozen=True)
class TeacherLayout:
    """Where a checkpoint keeps a teacher.

    Attributes:
        description: What checkpoint this is, for messages.
        backbone_prefix: Prefix of the backbone's keys (ResNet keys follow it).
        head_prefix: Prefix of the projection head's keys (checked before the backbone's).
        head_layers: Head module name in the checkpoint -> SpatialAdaptor layer index.
        dropped: Head modules PCD does not use (reported, not loaded).
        ignored_prefixes: Keys under ``backbone_prefix`` that belong to other modules.
    """
    description: str
    backbone_prefix: str
    head_prefix: str
    head_layers: Dict[str, str]
    dropped: Tuple[str, ...] = ()
    ignored_prefixes: Tuple[str, ...] = field(default_factory=tuple)


_TORCH_HEAD = {'0': '0', '1': '1', '3': '3'}  # Linear, BN1d, (ReLU), Linear

LAYOUTS: Dict[str, TeacherLayout] = {
    'mocov3': TeacherLayout(
        'official MoCo v3 (facebookresearch/moco-v3) ResNet checkpoint, momentum encoder',
        'module.momentum_encoder.', 'module.momentum_encoder.fc.', _TORCH_HEAD, dropped=('4',)),
    'mmpretrain_mocov3': TeacherLayout(
        'mmpretrain MoCoV3 checkpoint, momentum encoder (ResNet + NonLinearNeck)',
        'momentum_encoder.module.0.', 'momentum_encoder.module.1.',
        {'fc0': '0', 'bn0': '1', 'fc1': '3'}, dropped=('bn1',)),
    'byol': TeacherLayout(
        'BYOL checkpoint of the PyTorch re-implementation PCD uses (ckpt["model"]), target '
        'encoder with its projector as fc', 'module.target_encoder.',
        'module.target_encoder.fc.', _TORCH_HEAD),
    'swav': TeacherLayout(
        'official SwAV (facebookresearch/swav) checkpoint', 'module.',
        'module.projection_head.', _TORCH_HEAD, ignored_prefixes=('module.prototypes',)),
    'barlow_twins': TeacherLayout(
        'official Barlow Twins (facebookresearch/barlowtwins) full checkpoint (ckpt["model"])',
        'module.backbone.', 'module.projector.',
        {'0': '0', '1': '1', '3': '3', '4': '4', '6': '6'}),
}


def _state_dict_of(checkpoint: dict) -> Dict[str, torch.Tensor]:
    """The tensor dict of a checkpoint: under ``state_dict`` or ``model``, else the top."""
    for key in ('state_dict', 'model'):
        if isinstance(checkpoint.get(key), dict):
            return checkpoint[key]
    return checkpoint


def _names(keys: List[str], limit: int = 8) -> str:
    shown = ', '.join(keys[:limit])
    return shown + (f' ... ({len(keys) - limit} more)' if len(keys) > limit else '')


def _guess_layouts(state: Dict[str, torch.Tensor], exclude: str) -> List[str]:
    return [
        name for name, layout in LAYOUTS.items()
        if name != exclude and any(k.startswith(layout.head_prefix) for k in state)
    ]


def _check_match(module: nn.Module, state: Dict[str, torch.Tensor], what: str,
                 prefix: str) -> None:
    """Refuse a state that does not fit ``module``: missing, unexpected, mis-shaped keys."""
    expected = module.state_dict()
    # Old checkpoints have no BN batch counters; they are not used in eval mode.
    missing = [k for k in expected if k not in state and not k.endswith('num_batches_tracked')]
    unexpected = [k for k in state if k not in expected]
    shapes = [f'{k} {tuple(v.shape)} vs {tuple(expected[k].shape)}' for k, v in state.items()
              if k in expected and v.shape != expected[k].shape]
    problems = []
    if missing:
        problems.append(f'missing {what} keys (after {prefix!r}): {_names(missing)}')
    if unexpected:
        problems.append(f'unexpected {what} keys (after {prefix!r}): {_names(unexpected)}')
    if shapes:
        problems.append(f'{what} shape mismatches (checkpoint vs model): {_names(shapes)}')
    if problems:
        raise ValueError('; '.join(problems) + f'. The checkpoint does not match the teacher\'s '
                         f'{what}: check model.teacher ({what} depth/channels/bias) against the '
                         'checkpoint, or choose another model.teacher.layout.')


def load_teacher(backbone: nn.Module, adaptor: nn.Module, path: str,
                 layout: str = 'mocov3') -> Dict[str, List[str]]:
    """Load a teacher's backbone and SpatialAdaptor from a checkpoint file, strictly.

    Args:
        backbone: The teacher backbone (an mmpretrain ``ResNet``: torchvision key names).
        adaptor: A ``SpatialAdaptor`` shaped like the checkpoint's head.
        path: Checkpoint file.
        layout: A key of :data:`LAYOUTS`.

    Returns:
        ``dict(dropped=[keys of dropped head modules], ignored=[keys of other networks])``.
    """
    if layout not in LAYOUTS:
        raise ValueError(f'Unknown teacher layout {layout!r}; expected one of {list(LAYOUTS)}.')
    if not osp.isfile(path):
        raise FileNotFoundError(f'Teacher checkpoint {path} does not exist; set '
                                'teacher_checkpoint to a downloaded teacher checkpoint file.')
    spec = LAYOUTS[layout]
    # Full unpickling: mmpretrain checkpoints carry non-tensor metadata (a teacher checkpoint
    # is a file the user chose to trust).
    state = _state_dict_of(torch.load(path, map_location='cpu', weights_only=False))
    backbone_state, head_state = {}, {}
    dropped, ignored = [], []
    for key, value in state.items():
        if key.startswith(spec.head_prefix):
            module, _, param = key[len(spec.head_prefix):].partition('.')
            if module in spec.dropped:
                dropped.append(key)
            else:
                # An unknown head module stays under its own name and fails the check.
                head_state[f'{spec.head_layers.get(module, module)}.{param}'] = value
        elif key.startswith(spec.backbone_prefix) and not key.startswith(spec.ignored_prefixes):
            backbone_state[key[len(spec.backbone_prefix):]] = value
        else:
            ignored.append(key)
    if not backbone_state or not head_state:
        guesses = _guess_layouts(state, layout)
        hint = f' It looks like layout {guesses}.' if guesses else ''
        raise ValueError(
            f'{path} is not a {spec.description}: no keys start with '
            f'{spec.backbone_prefix if not backbone_state else spec.head_prefix!r} '
            f'(first keys: {_names(list(state), 4)}).{hint} Set model.teacher.layout to the '
            f'checkpoint\'s layout (one of {list(LAYOUTS)}).')
    head_state = vector_state_to_spatial(head_state)
    _check_match(backbone, backbone_state, 'backbone', spec.backbone_prefix)
    _check_match(adaptor, head_state, 'head', spec.head_prefix)
    backbone.load_state_dict(backbone_state, strict=False)
    adaptor.load_state_dict(head_state, strict=False)
    print_log(
        f'Loaded the PCD teacher from {path} ({spec.description}): {len(backbone_state)} '
        f'backbone and {len(head_state)} head tensors; dropped {dropped or "nothing"}; '
        f'ignored {len(ignored)} tensors of other modules ({_names(ignored, 3) or "-"}).',
        logger='current')
    return dict(dropped=dropped, ignored=ignored)


def apply_teacher_checkpoint(cfg: Config) -> Config:
    """Copy a config's top-level ``teacher_checkpoint`` into ``model.teacher.checkpoint``.

    mmengine resolves a config's variables when it is read, so ``--cfg-options
    teacher_checkpoint=PATH`` would not reach the model without this step. Configs without
    the variable are returned unchanged.
    """
    if 'teacher_checkpoint' not in cfg:
        return cfg
    checkpoint: Optional[str] = cfg.teacher_checkpoint
    if not checkpoint:
        raise ValueError(
            'teacher_checkpoint is not set: PCD distils a pretrained teacher. Pass '
            '--cfg-options teacher_checkpoint=PATH (and model.teacher.layout=... if it is not '
            f'an official MoCo v3 checkpoint; layouts: {list(LAYOUTS)}), or '
            f'teacher_checkpoint={RANDOM_TEACHER} for a smoke test with a random teacher.')
    if checkpoint != RANDOM_TEACHER and not osp.isfile(checkpoint):
        zoo = _zoo_teacher(checkpoint)
        if zoo is None:
            raise FileNotFoundError(
                f'teacher_checkpoint {checkpoint} does not exist and is not a teacher of the '
                'model zoo (model-index.yml, e.g. mocov3_resnet50_8xb512-amp-coslr-800e_in1k); '
                'download the teacher checkpoint or fix the path.')
        checkpoint, layout = zoo
        if layout:
            cfg.model.teacher.layout = layout
    cfg.model.teacher.checkpoint = checkpoint
    return cfg


def _zoo_teacher(name: str) -> Optional[Tuple[str, Optional[str]]]:
    """(local path, layout) of a model-zoo teacher named ``name``, fetched into the cache;
    None if no zoo entry has that name. The layout comes from the entry's
    ``Metadata.Teacher Layout``."""
    from mmpcd.apis import CheckpointError, find_entry, get_checkpoint
    try:
        entry = find_entry(name)
    except CheckpointError:
        return None
    return get_checkpoint(entry.name, convert=False), entry.teacher_layout
