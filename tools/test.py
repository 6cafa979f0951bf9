"""Evaluate a checkpoint with a config's test loop: ``python tools/test.py CONFIG CHECKPOINT``.

Pre-training configs have no test loop; evaluate their backbones with the transfer/benchmark
configs instead.
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction

from mmpcd.engine import build_runner
from mmpcd.utils import register_all_modules


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (evaluate) a model with mmpcd')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save evaluation results and logs')
    parser.add_argument('--out', help='dump the predictions to this pickle file')
    parser.add_argument('--amp', action='store_true', help='test with automatic mixed precision')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, e.g. test_dataloader.batch_size=4')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the command-line options to ``cfg`` and check it can be tested."""
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    missing = [k for k in ('test_dataloader', 'test_evaluator', 'test_cfg') if not cfg.get(k)]
    if missing:
        raise SystemExit(
            f'{args.config} defines no {", ".join(missing)}, so it cannot be tested. '
            'Pre-training configs are evaluated through their transfer configs '
            '(mmdet/mmseg/linear benchmarks), which have a test loop.')
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.amp:
        cfg.test_cfg.fp16 = True
    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise SystemExit(f'--out must be a .pkl or .pickle file, got {args.out}.')
        cfg.test_evaluator = list(cfg.test_evaluator) if isinstance(
            cfg.test_evaluator, (list, tuple)) else [cfg.test_evaluator]
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
    print('[mmpcd] metrics: ' + ', '.join(f'{k}: {format_metric(v)}' for k, v in metrics.items()))


if __name__ == '__main__':
    main()
