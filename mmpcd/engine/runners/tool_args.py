"""Command-line options shared by the tools (``tools/train.py``, ``tools/test.py``, and
``--trust`` by every tool that reads a checkpoint)."""

import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.device import is_cuda_available, is_mlu_available, is_musa_available, is_npu_available

from .retyped_options import merge_cfg_options


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
        merge_cfg_options(cfg, args.cfg_options)
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


def check_amp_device(cfg: Config) -> None:
    """Stop before anything is built when ``cfg`` trains with ``AmpOptimWrapper`` on a machine
    where mmengine's AMP cannot run (it needs CUDA, NPU, MLU or MUSA; CPU autocast would be
    bf16 only and slower than fp32, not the recipe's fp16)."""
    wrapper = str(cfg.get('optim_wrapper', {}).get('type', ''))
    if not wrapper.endswith('AmpOptimWrapper'):
        return
    if is_cuda_available() or is_npu_available() or is_mlu_available() or is_musa_available():
        return
    raise SystemExit(
        f'error: optim_wrapper.type={wrapper} (mixed precision) needs a GPU and this machine '
        'has none. Train in fp32 with --no-amp (the same as --cfg-options '
        'optim_wrapper.type=OptimWrapper), or check the whole config on the CPU with '
        '--smoke-test.'
    )


def check_schedules_fit_training(cfg: Config) -> None:
    """Stop before anything is built when a scheduler that ends with training (no ``end``)
    begins at or after the end of training, as a recipe's post-warm-up cosine does once
    ``train_cfg.max_epochs`` is cut below the warm-up (mmengine only says ``end should be
    larger than begin``)."""
    schedulers = cfg.get('param_scheduler') or []
    listed = isinstance(schedulers, list)
    for index, scheduler in enumerate(schedulers if listed else [schedulers]):
        if not isinstance(scheduler, dict) or 'type' not in scheduler or 'end' in scheduler:
            continue
        unit = 'epoch' if scheduler.get('by_epoch', True) else 'iter'
        length = cfg.get('train_cfg', {}).get(f'max_{unit}s')
        begin = scheduler.get('begin', 0)
        if length is None or begin < length:
            continue
        name = f'param_scheduler.{index}' if listed else 'param_scheduler'
        raise SystemExit(
            f'error: {name} ({scheduler.type}) begins at {unit} {begin} and ends with training, '
            f'which is {length} {unit}s long (train_cfg.max_{unit}s={length}). Train longer, '
            f'give it an end (--cfg-options {name}.end=N), or run a short check without the '
            'schedule (--cfg-options param_scheduler=None: constant lr).'
        )
