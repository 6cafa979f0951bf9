"""Train a model from a config: ``python tools/train.py CONFIG [options]``.

Distributed: ``tools/dist_train.sh CONFIG GPUS`` (torchrun) or ``tools/slurm_train.sh``.
Without CUDA, distributed runs use the gloo backend (see ``mmpcd.engine.MMPCDRunner``).
"""

import argparse
import os.path as osp
import sys

# Projects (`projects/<name>/<name>`) are imported by their configs' custom_imports relative to
# the repository root, which an installed mmpcd does not put on sys.path.
REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

try:
    from mmengine.config import Config

    from mmpcd.engine.runners import (
        add_runner_args,
        add_trust_arg,
        apply_runner_args,
        build_runner,
        check_amp_device,
        check_checkpoint_exists,
        check_schedules_fit_training,
        drop_keys_the_type_lacks,
    )
    from mmpcd.engine.runners.smoke_test import ITERS, smoke_test_config
    from mmpcd.utils import register_all_modules
except ModuleNotFoundError as error:  # a python without mmpcd's environment
    venv = osp.join(REPO_ROOT, '.venv')
    sys.exit(
        f'error: {error} in {sys.executable}. Run mmpcd\'s tools with the python of its '
        f'environment: `source {venv}/bin/activate` (created by `make setup`) or '
        f'`{venv}/bin/python {" ".join(sys.argv)}`.'
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model with mmpcd')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint; without a path, resume from the '
        'latest checkpoint in the work dir',
    )
    precision = parser.add_mutually_exclusive_group()
    precision.add_argument('--amp', action='store_true', help='enable automatic mixed precision')
    precision.add_argument(
        '--no-amp',
        action='store_true',
        help='train in fp32: an AmpOptimWrapper of the config becomes an OptimWrapper (without '
        'loss_scale and dtype), e.g. on a machine without a GPU',
    )
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate by the actual total batch size',
    )
    parser.add_argument(
        '--smoke-test',
        action='store_true',
        help=f'a {ITERS}-iteration fp32 CPU run of the model as configured, on embedded or '
        'synthetic data, with random teachers and no downloads (see '
        'mmpcd/engine/runners/smoke_test.py)',
    )
    add_trust_arg(parser, 'the --resume / load_from checkpoint')
    add_runner_args(parser)
    return parser.parse_args()


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the command-line options to ``cfg``."""
    cfg = apply_runner_args(cfg, args)
    if args.smoke_test:
        cfg = smoke_test_config(cfg)
    if args.amp:
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper == 'AmpOptimWrapper':
            print('[mmpcd] AMP is already enabled in the config.')
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.no_amp:
        if cfg.optim_wrapper.get('type') == 'AmpOptimWrapper':
            cfg.optim_wrapper.type = 'OptimWrapper'
            drop_keys_the_type_lacks(cfg, 'optim_wrapper')  # loss_scale, dtype
        else:
            print('[mmpcd] The config trains in fp32 already.')

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        check_checkpoint_exists(args.resume, '--resume')
        cfg.resume = True
        cfg.load_from = args.resume

    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True
    return cfg


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = merge_args(Config.fromfile(args.config), args)
    check_amp_device(cfg)
    check_schedules_fit_training(cfg)
    runner = build_runner(cfg)
    runner.train()


if __name__ == '__main__':
    main()
