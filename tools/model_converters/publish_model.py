"""Make a training checkpoint publishable: tensors only, file name ending in its sha256 prefix.

``python tools/model_converters/publish_model.py IN OUT`` writes
``<OUT without .pth>-<first 8 hex digits of sha256>.pth`` (OpenMMLab's naming) holding
``state_dict`` and a ``meta`` of plain values; the optimizer, the parameter schedulers and the
message hub are dropped, so ``torch.load(..., weights_only=True)`` reads the result.
"""
import argparse
import hashlib
import os
import os.path as osp

import torch

from mmpcd.evaluation import read_checkpoint
from mmpcd.utils import check_checkpoint_exists

# meta entries that are plain values in mmengine checkpoints (dataset_meta may hold tuples).
META_KEYS = ('epoch', 'iter', 'seed', 'experiment_name', 'time', 'mmengine_version', 'cfg')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('in_file', help='checkpoint written by tools/train.py')
    parser.add_argument('out_file', help='output name; the sha256 prefix is appended')
    return parser.parse_args()


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def publish(in_file: str, out_file: str) -> str:
    """Write the published checkpoint and return its final path."""
    checkpoint = read_checkpoint(in_file)
    if 'state_dict' not in checkpoint:
        raise ValueError(f'{in_file} has no state_dict entry; is it an mmengine checkpoint?')
    meta = {k: v for k, v in checkpoint.get('meta', {}).items() if k in META_KEYS}
    stem = out_file[:-len('.pth')] if out_file.endswith('.pth') else out_file
    tmp = stem + '.tmp.pth'
    torch.save({'state_dict': checkpoint['state_dict'], 'meta': meta}, tmp)
    final = f'{stem}-{sha256_of(tmp)[:8]}.pth'
    os.replace(tmp, final)
    return final


def main() -> None:
    args = parse_args()
    check_checkpoint_exists(args.in_file, 'in_file')
    final = publish(args.in_file, args.out_file)
    size = osp.getsize(final) / 2**20
    print(f'published {final} ({size:.1f} MiB)')


if __name__ == '__main__':
    main()
