"""Export the student of a MasKD stage-2 checkpoint for plain mmdet/mmseg.

Keeps the ``student.*`` weights with the prefix removed (the aligners, the counter, the
optimizer and the message hub are dropped) and writes a weights-only checkpoint that
``mmdet``/``mmseg`` models load strictly::

    python projects/maskd/tools/export_student.py work_dirs/<run>/iter_N.pth student.pth

The source is read weights-only (training checkpoints are); ``--trust`` allows full
unpickling.
"""

import argparse
import os

import torch

from mmpcd.engine.runners import add_trust_arg
from mmpcd.utils.checkpoint import (
    CorruptCheckpointError,
    UntrustedCheckpointError,
    read_checkpoint,
    state_dict_of,
)

STUDENT = 'student.'


def export_student(src: str, dst: str, trust: bool = False) -> int:
    """Write ``src``'s student weights to ``dst``; returns the number of tensors."""
    try:
        checkpoint = read_checkpoint(src, trust=trust, switch='--trust')
    except (UntrustedCheckpointError, CorruptCheckpointError) as error:
        raise SystemExit(f'error: {error}') from None
    state = state_dict_of(checkpoint, ('state_dict',))
    student = {k[len(STUDENT) :]: v for k, v in state.items() if k.startswith(STUDENT)}
    if not student:
        raise SystemExit(f'{src} has no {STUDENT!r} weights: is it a MasKDDistiller checkpoint?')
    meta = dict(maskd_source=os.path.basename(src))
    for key in ('epoch', 'iter'):
        if key in checkpoint.get('meta', {}):
            meta[key] = checkpoint['meta'][key]
    torch.save(dict(state_dict=student, meta=meta), dst)
    return len(student)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='stage-2 (MasKDDistiller) checkpoint you trained')
    parser.add_argument('dst', help='output student checkpoint')
    add_trust_arg(parser, 'src')
    args = parser.parse_args(argv)
    count = export_student(args.src, args.dst, args.trust)
    print(f'{args.dst}: {count} student tensors')


if __name__ == '__main__':
    main()
