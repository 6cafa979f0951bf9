"""``make demo``: a short self-supervised pre-training run on the embedded photographs.

Trains mmpretrain's DenseCL (ResNet-18, 96 px, two epochs) through ``tools/train.py`` on
``data/demo/`` and prints where the checkpoint and the logs went. Takes 1-2 minutes on 2 cores.
"""
import argparse
import glob
import json
import os.path as osp
import subprocess
import sys
import time
from typing import List

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO_CONFIG = osp.join(REPO, 'configs', 'densecl', 'densecl_resnet18_1xb16-coslr-2e_demo.py')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=DEMO_CONFIG, help='pre-training config to run')
    parser.add_argument(
        '--work-dir', default=osp.join(REPO, 'work_dirs', 'demo'), help='where to write')
    parser.add_argument(
        '--cfg-options', nargs='+', default=[], help='forwarded to tools/train.py')
    return parser.parse_args()


def read_losses(log_dir: str) -> List[float]:
    """Training losses logged by mmengine in ``<log_dir>/vis_data/scalars.json``."""
    scalars = osp.join(log_dir, 'vis_data', 'scalars.json')
    if not osp.exists(scalars):
        return []
    with open(scalars) as f:
        records = [json.loads(line) for line in f if line.strip()]
    return [r['loss'] for r in records if 'loss' in r]


def newest_log_dir(work_dir: str, started: float) -> str:
    """The timestamped run folder mmengine created in ``work_dir`` during this run."""
    runs = [d for d in glob.glob(osp.join(work_dir, '2*')) if osp.isdir(d)]
    runs = [d for d in runs if osp.getmtime(d) >= started - 1]
    if not runs:
        raise SystemExit(f'No run folder was written under {work_dir}; see the output above.')
    return max(runs, key=osp.getmtime)


def main() -> None:
    args = parse_args()
    cmd = [sys.executable, osp.join(REPO, 'tools', 'train.py'), args.config,
           '--work-dir', args.work_dir]
    if args.cfg_options:
        cmd += ['--cfg-options', *args.cfg_options]
    print('[mmpcd demo] ' + ' '.join(cmd), flush=True)
    started = time.time()
    result = subprocess.run(cmd, cwd=REPO)
    if result.returncode != 0:
        raise SystemExit(f'[mmpcd demo] training failed (exit code {result.returncode}).')
    elapsed = time.time() - started

    with open(osp.join(args.work_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    log_dir = newest_log_dir(args.work_dir, started)
    losses = read_losses(log_dir)
    print('\n[mmpcd demo] done in {:.0f} s'.format(elapsed))
    if losses:
        print(f'  loss:        {losses[0]:.3f} (first logged) -> {losses[-1]:.3f} (last)')
    print(f'  checkpoint:  {checkpoint}')
    print(f'  logs:        {log_dir}  (text log, vis_data/scalars.json)')
    print(f'  config used: {osp.join(args.work_dir, osp.basename(args.config))}')


if __name__ == '__main__':
    main()
