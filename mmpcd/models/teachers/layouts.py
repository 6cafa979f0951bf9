"""Where PCD's teacher checkpoints keep a teacher (ResNet or ViT backbone + projection head).

Each layout names where a checkpoint keeps the teacher's backbone and its vector projection
head, and which head modules PCD leaves out (MoCo v3's final affine-free BN). The head's
``Linear``/``BatchNorm1d`` tensors go into the matching layers of a
:class:`~mmpcd.models.teachers.SpatialAdaptor` (linear weights reshaped to 1x1 convs, BN running
statistics included). Any missing, unexpected or mis-shaped tensor of the teacher is an error
that names the keys; tensors of other networks in the checkpoint (the online/base encoder,
predictor, prototypes) are ignored and counted in the log.
"""

import re
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Tuple

import torch
import torch.nn as nn
from mmengine.logging import print_log

from mmpcd.utils.checkpoint import state_dict_of

from .spatial_adaptor import vector_state_to_spatial


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
        backbone_key: Renames a backbone key (after the prefix) to the mmpretrain
            backbone's; the identity for ResNets (torchvision names).
    """

    description: str
    backbone_prefix: str
    head_prefix: str
    head_layers: Dict[str, str]
    dropped: Tuple[str, ...] = ()
    ignored_prefixes: Tuple[str, ...] = field(default_factory=tuple)
    backbone_key: Callable[[str], str] = str


_TORCH_HEAD = {'0': '0', '1': '1', '3': '3'}  # Linear, BN1d, (ReLU), Linear
# Linear, BN1d, (ReLU), Linear, BN1d, (ReLU), Linear
_THREE_LAYER_HEAD = {'0': '0', '1': '1', '3': '3', '4': '4', '6': '6'}
# timm's VisionTransformer names (MoCo v3's vits.py) -> mmpretrain's VisionTransformer.
_TIMM_VIT_KEYS = (
    (re.compile(r'^patch_embed\.proj\.'), 'patch_embed.projection.'),
    (re.compile(r'^blocks\.(\d+)\.norm1\.'), r'layers.\1.ln1.'),
    (re.compile(r'^blocks\.(\d+)\.norm2\.'), r'layers.\1.ln2.'),
    (re.compile(r'^blocks\.(\d+)\.attn\.'), r'layers.\1.attn.'),
    (re.compile(r'^blocks\.(\d+)\.mlp\.fc1\.'), r'layers.\1.ffn.layers.0.0.'),
    (re.compile(r'^blocks\.(\d+)\.mlp\.fc2\.'), r'layers.\1.ffn.layers.1.'),
    (re.compile(r'^norm\.'), 'ln1.'),  # the final norm (final_norm=True)
)


def timm_vit_key(key: str) -> str:
    """A timm ``VisionTransformer`` key as mmpretrain's ``VisionTransformer`` names it."""
    for pattern, replacement in _TIMM_VIT_KEYS:
        key, count = pattern.subn(replacement, key)
        if count:
            break
    return key


LAYOUTS: Dict[str, TeacherLayout] = {
    'mocov3': TeacherLayout(
        'official MoCo v3 (facebookresearch/moco-v3) ResNet checkpoint, momentum encoder',
        'module.momentum_encoder.',
        'module.momentum_encoder.fc.',
        _TORCH_HEAD,
        dropped=('4',),
    ),
    'mmpretrain_mocov3': TeacherLayout(
        'mmpretrain MoCoV3 checkpoint, momentum encoder (ResNet + NonLinearNeck)',
        'momentum_encoder.module.0.',
        'momentum_encoder.module.1.',
        {'fc0': '0', 'bn0': '1', 'fc1': '3'},
        dropped=('bn1',),
    ),
    'byol': TeacherLayout(
        'BYOL checkpoint of the PyTorch re-implementation PCD uses (ckpt["model"]), target '
        'encoder with its projector as fc',
        'module.target_encoder.',
        'module.target_encoder.fc.',
        _TORCH_HEAD,
    ),
    'swav': TeacherLayout(
        'official SwAV (facebookresearch/swav) checkpoint',
        'module.',
        'module.projection_head.',
        _TORCH_HEAD,
        ignored_prefixes=('module.prototypes',),
    ),
    'barlow_twins': TeacherLayout(
        'official Barlow Twins (facebookresearch/barlowtwins) full checkpoint (ckpt["model"])',
        'module.backbone.',
        'module.projector.',
        _THREE_LAYER_HEAD,
    ),
    # pcd/teacher_model/mocov3_vit.py: the 3-layer head without its final BN (head.7).
    'mocov3_vit': TeacherLayout(
        'official MoCo v3 (facebookresearch/moco-v3) ViT checkpoint, momentum encoder',
        'module.momentum_encoder.',
        'module.momentum_encoder.head.',
        _THREE_LAYER_HEAD,
        dropped=('7',),
        backbone_key=timm_vit_key,
    ),
}


def _names(keys: List[str], limit: int = 8) -> str:
    shown = ', '.join(keys[:limit])
    return shown + (f' ... ({len(keys) - limit} more)' if len(keys) > limit else '')


def _guess_layouts(state: Dict[str, torch.Tensor], exclude: str) -> List[str]:
    return [
        name
        for name, layout in LAYOUTS.items()
        if name != exclude and any(k.startswith(layout.head_prefix) for k in state)
    ]


def _check_match(module: nn.Module, state: Dict[str, torch.Tensor], what: str, prefix: str) -> None:
    """Refuse a state that does not fit ``module``: missing, unexpected, mis-shaped keys."""
    expected = module.state_dict()
    # Old checkpoints have no BN batch counters; they are not used in eval mode.
    missing = [k for k in expected if k not in state and not k.endswith('num_batches_tracked')]
    unexpected = [k for k in state if k not in expected]
    shapes = [
        f'{k} {tuple(v.shape)} vs {tuple(expected[k].shape)}'
        for k, v in state.items()
        if k in expected and v.shape != expected[k].shape
    ]
    problems = []
    if missing:
        problems.append(f'missing {what} keys (after {prefix!r}): {_names(missing)}')
    if unexpected:
        problems.append(f'unexpected {what} keys (after {prefix!r}): {_names(unexpected)}')
    if shapes:
        problems.append(f'{what} shape mismatches (checkpoint vs model): {_names(shapes)}')
    if problems:
        raise ValueError(
            '; '.join(problems) + f'. The checkpoint does not match the teacher\'s '
            f'{what}: check model.teacher ({what} depth/channels/bias) against the '
            'checkpoint, or choose another model.teacher.layout.'
        )


def load_teacher(
    backbone: nn.Module, adaptor: nn.Module, checkpoint: dict, source: str, layout: str = 'mocov3'
) -> Dict[str, List[str]]:
    """Load a teacher's backbone and SpatialAdaptor from a read checkpoint, strictly.

    Args:
        backbone: The teacher backbone (an mmpretrain ``ResNet``, torchvision key names; or a
            ``VisionTransformer`` for ``mocov3_vit``, timm's names renamed).
        adaptor: A ``SpatialAdaptor`` shaped like the checkpoint's head.
        checkpoint: The checkpoint, as :func:`mmpcd.utils.checkpoint.read_checkpoint` read it.
        source: Where it was read from, for messages.
        layout: A key of :data:`LAYOUTS`.

    Returns:
        ``dict(dropped=[keys of dropped head modules], ignored=[keys of other networks])``.
    """
    if layout not in LAYOUTS:
        raise ValueError(f'Unknown teacher layout {layout!r}; expected one of {list(LAYOUTS)}.')
    spec = LAYOUTS[layout]
    state = state_dict_of(checkpoint)
    backbone_state, head_state = {}, {}
    dropped, ignored = [], []
    for key, value in state.items():
        if key.startswith(spec.head_prefix):
            module, _, param = key[len(spec.head_prefix) :].partition('.')
            if module in spec.dropped:
                dropped.append(key)
            else:
                # An unknown head module stays under its own name and fails the check.
                head_state[f'{spec.head_layers.get(module, module)}.{param}'] = value
        elif key.startswith(spec.backbone_prefix) and not key.startswith(spec.ignored_prefixes):
            backbone_state[spec.backbone_key(key[len(spec.backbone_prefix) :])] = value
        else:
            ignored.append(key)
    if not backbone_state or not head_state:
        guesses = _guess_layouts(state, layout)
        hint = f' It looks like layout {guesses}.' if guesses else ''
        raise ValueError(
            f'{source} is not a {spec.description}: no keys start with '
            f'{spec.backbone_prefix if not backbone_state else spec.head_prefix!r} '
            f'(first keys: {_names(list(state), 4)}).{hint} Set model.teacher.layout to the '
            f'checkpoint\'s layout (one of {list(LAYOUTS)}).'
        )
    head_state = vector_state_to_spatial(head_state)
    _check_match(backbone, backbone_state, 'backbone', spec.backbone_prefix)
    _check_match(adaptor, head_state, 'head', spec.head_prefix)
    backbone.load_state_dict(backbone_state, strict=False)
    adaptor.load_state_dict(head_state, strict=False)
    print_log(
        f'Loaded the PCD teacher from {source} ({spec.description}): {len(backbone_state)} '
        f'backbone and {len(head_state)} head tensors; dropped {dropped or "nothing"}; '
        f'ignored {len(ignored)} tensors of other modules ({_names(ignored, 3) or "-"}).',
        logger='current',
    )
    return dict(dropped=dropped, ignored=ignored)
