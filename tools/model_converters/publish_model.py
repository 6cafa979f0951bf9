"""Make a training checkpoint publishable: tensors only, file name ending in its sha256 prefix.

``python tools/model_converters/publish_model.py IN OUT`` writes
``<OUT without .pth>-<first 8 hex digits of sha256>.pth`` (OpenMMLab's naming) holding
``state_dict`` and a ``meta`` of plain values; the optimizer, the parameter schedulers and the
message hub are dropped, so ``torch.load(..., weights_only=True)`` reads the result. IN is
read weights-only (``tools/train.py`` output is); ``--trust`` allows full unpickling.
"""

import argparse
import os
import os.path as osp

import torch

from mmpcd.engine.runners import add_trust_arg, check_checkpoint_exists
from mmpcd.hub import sha256_of
from mmpcd.utils.checkpoint import CorruptCheckpointError, UntrustedCheckpointError, read_checkpoint

# meta entries that are plain values in mmengine checkpoints (dataset_meta may hold tuples).
META_KEYS = ('epoch', 'iter', 'seed', 'experiment_name', 'time', 'mmengine_version', 'cfg')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('in_file', help='checkpoint written by tools/train.py')
    parser.add_argument('out_file', help='output name; the sha256 prefix is appended')
    add_trust_arg(parser, 'IN')
    return parser.parse_args()


def publish(in_file: str, out_file: str, trust: bool = False) -> str:
    """Write the published checkpoint and return its final path."""
    checkpoint = read_checkpoint(in_file, trust=trust, switch='--trust')
    if 'state_dict' not in checkpoint:
        raise ValueError(f'{in_file} has no state_dict entry; is it an mmengine checkpoint?')
    meta = {k: v for k, v in checkpoint.get('meta', {}).items() if k in META_KEYS}
    stem = out_file[: -len('.pth')] if out_file.endswith('.pth') else out_file
    tmp = stem + '.tmp.pth'
    torch.save({'state_dict': checkpoint['state_dict'], 'meta': meta}, tmp)
    final = f'{stem}-{sha256_of(tmp)[:8]}.pth'
    os.replace(tmp, final)
    return final


def main() -> None:
    args = parse_args()
    check_checkpoint_exists(args.in_file, 'in_file')
    try:
        final = publish(args.in_file, args.out_file, args.trust)
    except (UntrustedCheckpointError, CorruptCheckpointError) as error:
        raise SystemExit(f'error: {error}') from None
    size = osp.getsize(final) / 2**20
    print(f'published {final} ({size:.1f} MiB)')


if __name__ == '__main__':
    main()
