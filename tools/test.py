"""Evaluate a checkpoint with a config's test loop: ``python tools/test.py CONFIG CHECKPOINT``.

Pre-training configs have no test loop; evaluate their backbones with the transfer/benchmark
configs instead.
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
    from mmengine.dist import is_main_process

    from mmpcd.engine.runners import (
        add_runner_args,
        add_trust_arg,
        apply_runner_args,
        build_runner,
        check_checkpoint_exists,
    )
    from mmpcd.utils import register_all_modules
except ModuleNotFoundError as error:  # a python without mmpcd's environment
    venv = osp.join(REPO_ROOT, '.venv')
    sys.exit(
        f'error: {error} in {sys.executable}. Run mmpcd\'s tools with the python of its '
        f'environment: `source {venv}/bin/activate` (created by `make setup`) or '
        f'`{venv}/bin/python {" ".join(sys.argv)}`.'
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (evaluate) a model with mmpcd')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='dump the predictions to this pickle file')
    parser.add_argument('--amp', action='store_true', help='test with automatic mixed precision')
    add_trust_arg(parser)
    add_runner_args(parser)
    return parser.parse_args()


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the command-line options to ``cfg`` and check it can be tested."""
    cfg = apply_runner_args(cfg, args)
    missing = [k for k in ('test_dataloader', 'test_evaluator', 'test_cfg') if not cfg.get(k)]
    if missing:
        raise SystemExit(
            f'{args.config} defines no {", ".join(missing)}, so it cannot be tested. '
            'Pre-training configs are evaluated through their transfer configs '
            '(mmdet/mmseg/linear benchmarks), which have a test loop.'
        )
    check_checkpoint_exists(args.checkpoint, 'checkpoint')
    cfg.load_from = args.checkpoint
    if args.amp:
        cfg.test_cfg.fp16 = True
    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise SystemExit(f'--out must be a .pkl or .pickle file, got {args.out}.')
        cfg.test_evaluator = (
            list(cfg.test_evaluator)
            if isinstance(cfg.test_evaluator, (list, tuple))
            else [cfg.test_evaluator]
        )
        cfg.test_evaluator.append(dict(type='DumpResults', out_file_path=args.out))
    return cfg


def format_metric(value) -> str:
    """Scalars (also numpy/torch ones) as plain numbers, anything else as is."""
    try:
        return f'{float(value):.4f}'
    except (TypeError, ValueError):
        return str(value)


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = merge_args(Config.fromfile(args.config), args)
    runner = build_runner(cfg)
    metrics = runner.test()
    if is_main_process():  # every rank holds the (collected) metrics; say them once
        print(
            '[mmpcd] metrics: ' + ', '.join(f'{k}: {format_metric(v)}' for k, v in metrics.items())
        )


if __name__ == '__main__':
    main()
