"""Training curves from mmengine's json scalar logs.

mmengine writes ``<work_dir>/<timestamp>/vis_data/<timestamp>.json`` (and ``scalars.json``):
one json object per logging step. Training rows carry ``iter`` and ``step`` (the global
iteration) besides the scalars (``loss``, ``loss_*``, ``lr``, ``base_lr``, ``time``, ...);
validation rows carry the metrics and ``step`` only.
"""

import json
import os.path as osp
import statistics
from typing import Dict, List, Optional, Sequence, Tuple

from .figure import PanelGrid

Curve = Tuple[List[int], List[float]]


def load_train_scalars(path: str) -> List[dict]:
    """The training rows (those with ``iter``) of an mmengine json log, in file order."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'log {path} does not exist; pass the json file mmengine '
            'writes under <work_dir>/<timestamp>/vis_data/.'
        )
    rows = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(
                    f'{path}:{number} is not json ({error}); pass the '
                    'vis_data/*.json file, not the text .log.'
                ) from error
            if 'iter' in row and 'step' in row:
                rows.append(row)
    if not rows:
        raise ValueError(f'{path} has no training rows (json lines with "iter" and "step").')
    return rows


def curves(logs: Dict[str, List[dict]], keys: Sequence[str]) -> Dict[str, Dict[str, Curve]]:
    """``{key: {log name: (steps, values)}}`` for every key; a log lacking a key is left out
    of that key's plot.

    Raises:
        KeyError: naming the available scalars if a key is in none of the logs.
    """
    result = {}
    for key in keys:
        per_log = {
            name: (
                [row['step'] for row in rows if key in row],
                [float(row[key]) for row in rows if key in row],
            )
            for name, rows in logs.items()
        }
        per_log = {name: curve for name, curve in per_log.items() if curve[0]}
        if not per_log:
            available = sorted(
                {k for rows in logs.values() for row in rows for k in row}
                - {'epoch', 'iter', 'step'}
            )
            raise KeyError(
                f'no log has the scalar {key!r}; they have: {", ".join(available)}. '
                '(momentum / ema_momentum need MomentumLoggerHook in custom_hooks.)'
            )
        result[key] = per_log
    return result


def plot_curves(
    logs: Dict[str, List[dict]],
    keys: Sequence[str],
    panel: Tuple[int, int] = (640, 240),
    title: Optional[str] = None,
) -> PanelGrid:
    """One panel per key (stacked), one line per log, against the global iteration.

    Args:
        logs: ``{legend name: training rows}`` from :func:`load_train_scalars`.
        keys: Scalars to plot.
        panel: (width, height) of each panel in pixels; the PNG is
            ``(len(keys) * (height + 24), width)``.
        title: Text above the first panel; defaults to the key.
    """
    data = curves(logs, keys)
    figure = PanelGrid(len(keys), 1, panel)
    for row, key in enumerate(keys):
        ax = figure.panel(
            row, 0, title if (title and row == 0) else key, margins=(64, 36, 12, 4), axis=True
        )
        for name, (steps, values) in data[key].items():
            ax.plot(steps, values, label=name, marker='.' if len(steps) < 30 else None)
        ax.set_xlabel('iteration', fontsize=8)
        ax.set_ylabel(key, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if len(data[key]) > 1:
            ax.legend(fontsize=7)
    return figure


def train_time_summary(rows: List[dict]) -> Dict[str, object]:
    """Seconds per iteration of a run from its training rows (``time``: mmengine's mean over
    the logging window), as mmdet's ``cal_train_time``: the mean over the logged rows after
    the first (start-up: data workers, cudnn autotuning), and per epoch when the run is
    epoch-based (``slowest``/``fastest`` as ``(epoch, mean)``, ``epoch_std``).
    """
    timed = [row for row in rows if 'time' in row]
    if not timed:
        raise KeyError('the log has no "time" scalar (IterTimerHook logs it).')
    steady = timed[1:] or timed
    summary: Dict[str, object] = dict(
        mean=statistics.fmean(float(r['time']) for r in steady), rows=len(steady)
    )
    epochs: Dict[int, List[float]] = {}
    for row in steady:
        if 'epoch' in row:
            epochs.setdefault(int(row['epoch']), []).append(float(row['time']))
    if epochs:
        means = {epoch: statistics.fmean(times) for epoch, times in sorted(epochs.items())}
        summary['slowest'] = max(means.items(), key=lambda item: item[1])
        summary['fastest'] = min(means.items(), key=lambda item: item[1])
        summary['epoch_std'] = statistics.pstdev(means.values())
    return summary
