"""Analyse mmengine's json training logs: ``plot_curve`` draws scalars against the iteration,
``cal_train_time`` prints the seconds per iteration.

Example::

    python tools/analysis_tools/analyze_logs.py plot_curve \
        work_dirs/pixpro_demo/20261122_184453/vis_data/20261122_184453.json \
        --keys loss lr --out curves.png
    python tools/analysis_tools/analyze_logs.py cal_train_time \
        work_dirs/pixpro_demo/20261122_184453/vis_data/20261122_184453.json
"""

import argparse
import os.path as osp
from typing import List, Optional

from mmpcd.visualization import load_train_scalars, plot_curves, train_time_summary


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest='command', required=True)
    plot = commands.add_parser('plot_curve', help='plot training scalars of json logs')
    plot.add_argument(
        'logs', nargs='+', help='mmengine json logs (<work_dir>/<timestamp>/vis_data/*.json)'
    )
    plot.add_argument(
        '--keys',
        nargs='+',
        default=['loss'],
        help='scalars to plot, one panel each (e.g. loss loss_dense lr)',
    )
    plot.add_argument('--legend', nargs='+', help='one name per log (default: file names)')
    plot.add_argument('--title', help='title of the first panel')
    plot.add_argument('--out', required=True, help='PNG to write')
    plot.add_argument(
        '--panel',
        type=int,
        nargs=2,
        default=(640, 240),
        metavar=('WIDTH', 'HEIGHT'),
        help='size of each panel in pixels',
    )
    timing = commands.add_parser('cal_train_time', help='seconds per iteration of json logs')
    timing.add_argument(
        'logs', nargs='+', help='mmengine json logs (<work_dir>/<timestamp>/vis_data/*.json)'
    )
    return parser.parse_args(argv)


def plot_curve(args: argparse.Namespace) -> None:
    names = args.legend or [osp.basename(path) for path in args.logs]
    if len(names) != len(args.logs) or len(set(names)) != len(names):
        raise SystemExit(
            f'--legend: need {len(args.logs)} distinct names, got {names}; two '
            'logs of the same file name need --legend.'
        )
    logs = {name: load_train_scalars(path) for name, path in zip(names, args.logs)}
    try:
        figure = plot_curves(logs, args.keys, tuple(args.panel), args.title)
    except KeyError as error:
        raise SystemExit(f'--keys: {error.args[0]}') from error
    figure.save(args.out)
    print(f'wrote {args.out}')


def cal_train_time(args: argparse.Namespace) -> None:
    for path in args.logs:
        try:
            summary = train_time_summary(load_train_scalars(path))
        except KeyError as error:
            raise SystemExit(f'{path}: {error.args[0]}') from error
        print(f'-----Analyze train time of {path}-----')
        if 'slowest' in summary:
            for name in ('slowest', 'fastest'):
                epoch, seconds = summary[name]
                print(f'{name} epoch {epoch}, average time is {seconds:.4f} s/iter')
            print(f'time std over epochs is {summary["epoch_std"]:.4f}')
        print(
            f'average iter time: {summary["mean"]:.4f} s/iter '
            f'({summary["rows"]} logged rows after the first)'
        )


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    if args.command == 'plot_curve':
        plot_curve(args)
    elif args.command == 'cal_train_time':
        cal_train_time(args)


if __name__ == '__main__':
    main()
