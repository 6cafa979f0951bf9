"""An mmpcd/mmpretrain pre-training checkpoint as a PCD teacher: its online ResNet and
projection head in the MoCo v3 layout PCD's teacher loader reads (``layout='mocov3'``).

The online network is used because it is what the other benchmarks (dense probe, transfer)
evaluate as "the pre-trained backbone". PCD's ``SpatialAdaptor`` is built from a vector head
``Linear -> BN1d -> ReLU -> Linear`` (``fc.{0,1,3}``) and reshapes its Linear weights into 1x1
convs, so 1x1 conv weights are written as 2-D Linear weights. Heads without a hidden norm
(MoCo v2's, DenseCL's) get an identity BN (weight 1, bias 0, mean 0, variance ``1 - eps``),
which in eval mode passes every value through unchanged.

| method | head in the checkpoint | layers (hidden norm) |
|---|---|---|
| PixPro, PixContrast | ``projector.mlp2.{0,1,3}`` | 1x1 conv, BN, ReLU, 1x1 conv |
| mmpretrain BYOL | ``neck.{fc0,bn0,fc1}`` | Linear, BN1d, ReLU, Linear |
| mmpretrain MoCo v2 | ``neck.mlp.{0,2}`` | Linear, ReLU, Linear (none) |
| DenseCL | ``neck.mlp2.{0,2}`` (its dense head) | 1x1 conv, ReLU, 1x1 conv (none) |
"""

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import torch

StateDict = Dict[str, torch.Tensor]
BACKBONE = 'backbone.'
MOCOV3_BACKBONE = 'module.momentum_encoder.'
MOCOV3_HEAD = 'module.momentum_encoder.fc.'
_BN_EPS = 1e-5  # nn.BatchNorm2d's default, which the SpatialAdaptor's BN layers use

# method: (head prefix, first linear, hidden norm or None, last linear), tried in this order
# (DenseCL's neck also has MoCo v2's global head, neck.mlp).
HEADS: Dict[str, Tuple[str, str, Optional[str], str]] = {
    'pixpro': ('projector.mlp2.', '0', '1', '3'),
    'byol': ('neck.', 'fc0', 'bn0', 'fc1'),
    'densecl': ('neck.mlp2.', '0', None, '2'),
    'mocov2': ('neck.mlp.', '0', None, '2'),
}


@dataclass(frozen=True)
class TeacherHead:
    """The SpatialAdaptor shape of a converted head: ``channels = (C_in, C_hid, C_out)`` and
    one ``bias`` flag per conv."""

    method: str
    channels: Tuple[int, int, int]
    bias: Tuple[bool, bool]


def _find_head(state: StateDict) -> str:
    for method, (prefix, first, _, last) in HEADS.items():
        if f'{prefix}{first}.weight' in state and f'{prefix}{last}.weight' in state:
            return method
    raise ValueError(
        'no projection head PCD can use in this checkpoint: expected one of '
        + ', '.join(f'{p}{f}.weight ({m})' for m, (p, f, _, _) in HEADS.items())
        + '; pass a PixPro, PixContrast, DenseCL, MoCo v2 or BYOL pre-training checkpoint.'
    )


def _as_linear(weight: torch.Tensor) -> torch.Tensor:
    return weight.flatten(1) if weight.dim() == 4 else weight  # (O, I, 1, 1) -> (O, I)


def to_pcd_teacher(state: StateDict) -> Tuple[StateDict, TeacherHead]:
    """The MoCo v3-layout teacher state of a pre-training ``state_dict`` and its head shape.

    Raises:
        ValueError: if the state has no backbone or no known projection head.
    """
    if not any(k.startswith(BACKBONE) for k in state):
        raise ValueError(f'no {BACKBONE}* keys: not a pre-training checkpoint.')
    method = _find_head(state)
    prefix, first, norm, last = HEADS[method]
    teacher = {
        MOCOV3_BACKBONE + k[len(BACKBONE) :]: v for k, v in state.items() if k.startswith(BACKBONE)
    }
    biases = []
    for src, dst in ((first, '0'), (last, '3')):
        teacher[f'{MOCOV3_HEAD}{dst}.weight'] = _as_linear(state[f'{prefix}{src}.weight'])
        bias = state.get(f'{prefix}{src}.bias')
        if bias is not None:
            teacher[f'{MOCOV3_HEAD}{dst}.bias'] = bias
        biases.append(bias is not None)
    hidden = teacher[f'{MOCOV3_HEAD}0.weight'].shape[0]
    if norm is not None:
        for param in ('weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'):
            key = f'{prefix}{norm}.{param}'
            if key in state:
                teacher[f'{MOCOV3_HEAD}1.{param}'] = state[key]
    else:
        teacher.update(
            {
                f'{MOCOV3_HEAD}1.weight': torch.ones(hidden),
                f'{MOCOV3_HEAD}1.bias': torch.zeros(hidden),
                f'{MOCOV3_HEAD}1.running_mean': torch.zeros(hidden),
                f'{MOCOV3_HEAD}1.running_var': torch.full((hidden,), 1 - _BN_EPS),
            }
        )
    weight0, weight3 = teacher[f'{MOCOV3_HEAD}0.weight'], teacher[f'{MOCOV3_HEAD}3.weight']
    head = TeacherHead(method, (weight0.shape[1], hidden, weight3.shape[0]), tuple(biases))
    return teacher, head


def adaptor_options(head: TeacherHead) -> List[str]:
    """``--cfg-options`` shaping PCD's SpatialAdaptor like ``head`` and the student's output
    like the teacher's (``model.neck.out_channels``, ``model.feat_dim``)."""
    channels = ','.join(map(str, head.channels))
    bias = ','.join(map(str, head.bias))
    return [
        f'model.teacher.adaptor.channels=[{channels}]',
        f'model.teacher.adaptor.bias=[{bias}]',
        f'model.neck.out_channels={head.channels[-1]}',
        f'model.feat_dim={head.channels[-1]}',
    ]


def write_pcd_teacher(source: str, dst: str, trust: bool = False) -> TeacherHead:
    """Convert the pre-training checkpoint ``source`` (read weights-only unless ``trust``) to
    a MoCo v3-layout teacher file ``dst``; returns its head shape (see :func:`adaptor_options`).

    Raises:
        ValueError: if ``source`` has no ``state_dict`` or no known projection head.
    """
    from mmpcd.utils.checkpoint import read_checkpoint

    state = read_checkpoint(source, trust=trust).get('state_dict')
    if not state:
        raise ValueError(
            f'{source} has no state_dict: pass an mmpcd/mmpretrain pre-training '
            'checkpoint (epoch_*.pth / iter_*.pth of a training run).'
        )
    teacher, head = to_pcd_teacher(state)
    torch.save({'state_dict': teacher}, dst)
    return head
