"""Command-line options shared by the tools (``tools/train.py``, ``tools/test.py``, and
``--trust`` by every tool that reads a checkpoint)."""

import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction


def add_runner_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--work-dir``, ``--cfg-options``, ``--launcher`` and ``--local-rank``."""
    parser.add_argument('--work-dir', help='the dir to save logs, checkpoints and results')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, e.g. train_cfg.max_epochs=2',
    )
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher',
    )
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK itself.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def add_trust_arg(parser: argparse.ArgumentParser, what: str = 'the checkpoint') -> None:
    """Add ``--trust``: read ``what`` with full unpickling instead of weights-only."""
    parser.add_argument(
        '--trust',
        action='store_true',
        help=f'read {what} with full unpickling, which runs code the file names: only for a '
        'file you trust that the weights-only reader refuses',
    )


def apply_runner_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the options of :func:`add_runner_args` (and ``--trust``) to ``cfg`` (and
    ``LOCAL_RANK``).

    The work dir is, by priority, ``--work-dir``, the config's ``work_dir``, then
    ``./work_dirs/<config file name>``.
    """
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if getattr(args, 'trust', False):
        cfg.load_from_trust = True  # read by MMPCDRunner.load_checkpoint
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    return cfg


def check_checkpoint_exists(path: str, option: str) -> None:
    """Stop with a clear message when a local checkpoint given on the command line is missing."""
    if '://' not in path and not osp.isfile(path):
        raise SystemExit(
            f'{option}: checkpoint file {path} does not exist. Pass the path of a '
            '.pth file written by tools/train.py (see the work dir), or a URL.'
        )
