"""Print a config as the runner sees it (bases inherited, options applied).

``python tools/misc/print_config.py CONFIG [--cfg-options k=v ...] [--smoke-test]``
"""

import argparse
import os.path as osp
import sys
from typing import List, Optional

from mmengine.config import Config, DictAction

from mmpcd.engine.runners import merge_cfg_options
from mmpcd.utils import register_all_modules

# Projects' configs import `projects.<name>.<name>` relative to the repository root.
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file (or mmpcd::/mmdet::/... name)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings, as for tools/train.py',
    )
    parser.add_argument(
        '--smoke-test', action='store_true', help='print what tools/train.py --smoke-test would run'
    )
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)  # also makes mmpcd:: names resolve
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        merge_cfg_options(cfg, args.cfg_options)  # as tools/train.py does
    if args.smoke_test:
        from mmpcd.engine.runners.smoke_test import smoke_test_config

        cfg.setdefault('work_dir', osp.join('work_dirs', 'smoke_test'))
        cfg = smoke_test_config(cfg)
    print(cfg.pretty_text)


if __name__ == '__main__':
    main()
