"""Tables and figure of the small dense benchmark (``dense_bench.py``): mean ± std over seeds.

"Beats the BN-adapted random baseline" means: the difference of the means is larger than the
larger of the two seed standard deviations (sample std, ``n - 1``). A model with a single seed
has no spread of its own: it is compared with the baseline's (the only spread measured), and
the line says so.
"""

import json
import os.path as osp
import statistics
from typing import Dict, List, Optional, Sequence, Tuple

BASELINE = 'random init + BN re-estimated'
METRICS = (('probe_miou', 'dense probe mIoU'), ('finetune_miou', 'FCN fine-tune mIoU'))
# Table columns: the metrics, then the pre-training cost (one process, one thread).
COLUMNS = METRICS + (('train_cpu', 'pre-training CPU-s'),)
COLOURS = dict(
    baseline='grey',
    pixel='tab:blue',
    image='tab:orange',
    distilled='tab:green',
    supervised='tab:purple',
)


def mean_std(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    values = list(values)
    return statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def summarise(per_seed: Dict[str, dict], key: str) -> Optional[Tuple[float, float, int]]:
    values = [r[key] for r in per_seed.values() if key in r]
    return (*mean_std(values), len(values)) if values else None


def _cell(stat: Optional[Tuple[float, float, int]], digits: int = 1, seeds: int = 0) -> str:
    """``mean ± std``; ``mean (1 seed)`` without a spread; ``(n seeds)`` when fewer than
    ``seeds`` ran."""
    if stat is None:
        return '—'
    if stat[2] == 1:
        return f'{stat[0]:.{digits}f} (1 seed)'
    cell = f'{stat[0]:.{digits}f} ± {stat[1]:.{digits}f}'
    return cell + (f' ({stat[2]} seeds)' if stat[2] < seeds else '')


def verdicts(
    results: Dict[str, Dict[str, dict]],
    groups: Dict[str, str],
    baselines: Optional[Dict[str, str]] = None,
) -> List[str]:
    """One line per trained model: does its probe beat the BN-adapted random baseline of its
    own network and initialisation (``baselines[name]``; :data:`BASELINE` by default)?"""
    lines = []
    for name, per_seed in results.items():
        stat = summarise(per_seed, 'probe_miou')
        if groups.get(name) == 'baseline' or stat is None:
            continue
        base_name = (baselines or {}).get(name, BASELINE)
        base = summarise(results.get(base_name, {}), 'probe_miou')
        if base is None:
            lines.append(f'- {name}: its baseline ({base_name}) did not run, no verdict.')
            continue
        margin = stat[0] - base[0]
        spreads = [s[1] for s in (stat, base) if s[2] > 1]
        if not spreads:
            lines.append(
                f'- {name}: {margin:+.1f} mIoU vs the BN-adapted {base_name!r}, one seed '
                'each: no seed spread measured, no verdict.'
            )
            continue
        spread = max(spreads)
        verdict = 'beats it' if margin > spread else 'does **not** beat it'
        whose = '' if stat[2] > 1 else ', the baseline\'s; this model ran one seed'
        lines.append(
            f'- {name}: {margin:+.1f} mIoU vs the BN-adapted {base_name!r} (seed '
            f'spread {spread:.1f}{whose}): {verdict}.'
        )
    return lines


def markdown(
    meta: dict,
    results: Dict[str, Dict[str, dict]],
    maskd: Dict[str, Dict[str, float]],
    order: Sequence[str],
    groups: Dict[str, str],
    baselines: Optional[Dict[str, str]] = None,
) -> str:
    seeds = len(meta['seeds'])
    rows = []
    for name in order:
        if name not in results:
            continue
        cells = [
            _cell(summarise(results[name], key), 0 if key == 'train_cpu' else 1, seeds)
            for key, _ in COLUMNS
        ]
        rows.append(f'| {name} | {groups[name]} | ' + ' | '.join(cells) + ' |')
    load = meta['load']
    load_text = f'mean {statistics.mean(load):.1f}, max {max(load):.1f}' if load else 'not recorded'
    not_run = meta.get('not_run', [])
    maskd_rows = [
        f'| {name} | {_cell((*mean_std(v.values()), len(v)))} | {len(v)} |'
        for name, v in maskd.items()
    ]
    ran = {name: sorted(per_seed, key=int) for name, per_seed in results.items()}
    partial = [f'{name}: seeds {" ".join(s)}' for name, s in ran.items() if len(s) < seeds]
    return '\n'.join(
        [
            f'# Small dense benchmark{" (quick)" if meta["quick"] else ""}',
            '',
            f'`{meta["command"]}` — {meta["seconds"] / 60:.1f} min with {meta["jobs"]} parallel '
            f'jobs, {meta["cpu_seconds"] / 60:.0f} CPU-minutes in all, on {meta["cores"]} cores '
            f'({meta["cpu"]}), torch {meta["torch"]}, commit '
            f'{meta["commit"]}; 1-minute load average during the run: {load_text}. Seeds: '
            f'{" ".join(map(str, meta["seeds"]))}. PCD teacher: {meta["pcd_teacher"]}.',
            '',
            *(
                [
                    f'**Interrupted run**: {len(not_run)} tasks did not run '
                    f'({"; ".join(not_run)}); '
                    '`--resume` with the same arguments runs them.',
                    '',
                ]
                if not_run
                else []
            ),
            f'## Dense features (mIoU %, mean ± std over {seeds} seed{"s" * (seeds > 1)})',
            '',
            *(
                [
                    f'Not every seed ran (an interrupted run; `--resume` completes it): '
                    f'{"; ".join(partial)}.',
                    '',
                ]
                if partial
                else []
            ),
            '| model | group | ' + ' | '.join(label for _, label in COLUMNS) + ' |',
            '|---|---|' + '---|' * len(COLUMNS),
            *rows,
            '',
            '## Against the BN-adapted random baseline of the same network (dense probe)',
            '',
            *verdicts(results, groups, baselines),
            '',
            '## MasKD on the tiny detection pair (COCO box mAP %, mean ± std)',
            '',
            '| model | box mAP | seeds |',
            '|---|---|---|',
            *maskd_rows,
            '',
        ]
    )


def figure(
    path: str,
    results: Dict[str, Dict[str, dict]],
    maskd: Dict[str, Dict[str, float]],
    curves: Dict[str, Dict[str, dict]],
    order: Sequence[str],
    groups: Dict[str, str],
) -> None:
    """Bars with seed error bars (probe, fine-tune, MasKD) and, per trained model, its
    training loss (seed mean) with the online probe's mIoU."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.gridspec import GridSpec

    trained = [name for name in order if name in curves]
    rows = 1 + (len(trained) + 3) // 4
    fig = plt.figure(figsize=(16, 3.6 * rows))
    grid = GridSpec(rows, 4, figure=fig)
    names = [name for name in order if name in results]
    for column, (key, label) in zip((slice(0, 2), 2), METRICS):
        axis = fig.add_subplot(grid[0, column])
        stats = [(n, summarise(results[n], key)) for n in names]
        stats = [(n, s) for n, s in stats if s is not None]
        axis.bar(
            range(len(stats)),
            [s[0] for _, s in stats],
            yerr=[s[1] for _, s in stats],
            color=[COLOURS[groups[n]] for n, _ in stats],
            capsize=3,
        )
        axis.set_xticks(
            range(len(stats)),
            [n.replace(' (', '\n(') for n, _ in stats],
            rotation=60,
            ha='right',
            fontsize=7,
        )
        axis.set_ylabel(f'{label} (%)')
        low = min(s[0] - s[1] for _, s in stats) if stats else 0
        axis.set_ylim(max(0, low - 5), None)
    axis = fig.add_subplot(grid[0, 3])
    stats = [(n, mean_std(v.values())) for n, v in maskd.items()]
    axis.bar(
        range(len(stats)),
        [s[0] for _, s in stats],
        yerr=[s[1] for _, s in stats],
        color='tab:red',
        capsize=3,
    )
    axis.set_xticks(range(len(stats)), [n for n, _ in stats], fontsize=8)
    axis.set_ylabel('MasKD: box mAP (%)')
    # One online-probe scale for every panel, so that small changes look small.
    probes = [v for name in trained for c in curves[name].values() for _, v in c['probe']]
    for index, name in enumerate(trained):
        axis = fig.add_subplot(grid[1 + index // 4, index % 4])
        loss = _seed_mean([c['loss'] for c in curves[name].values()])
        axis.plot(*zip(*loss), color=COLOURS[groups[name]])
        axis.set_title(name, fontsize=9)
        axis.set_xlabel('iteration')
        axis.set_ylabel('training loss')
        probe = _seed_mean([c['probe'] for c in curves[name].values()])
        if probe:
            twin = axis.twinx()
            twin.plot(*zip(*probe), 'o--', color='black', markersize=4)
            twin.set_ylim(min(probes) - 2, max(probes) + 2)
            twin.set_ylabel('online probe mIoU (%)', fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=60)
    plt.close(fig)


def _seed_mean(series: List[List[Tuple[int, float]]]) -> List[Tuple[int, float]]:
    """Per-step mean over the seeds of ``[(step, value), ...]`` series (steps all share)."""
    by_step: Dict[int, List[float]] = {}
    for points in series:
        for step, value in points:
            by_step.setdefault(step, []).append(value)
    return [(step, statistics.mean(v)) for step, v in sorted(by_step.items())]


def write_report(
    work_dir: str,
    meta: dict,
    results: Dict[str, Dict[str, dict]],
    maskd: Dict[str, Dict[str, float]],
    curves: Dict[str, Dict[str, dict]],
    order: Sequence[str],
    groups: Dict[str, str],
    baselines: Optional[Dict[str, str]] = None,
) -> List[str]:
    """Write ``results.{json,md,png}`` and ``curves.json`` into ``work_dir``; their paths."""
    paths = [
        osp.join(work_dir, name)
        for name in ('results.json', 'results.md', 'results.png', 'curves.json')
    ]
    with open(paths[0], 'w') as f:
        json.dump(dict(meta=meta, results=results, maskd=maskd), f, indent=1)
    with open(paths[1], 'w') as f:
        f.write(markdown(meta, results, maskd, order, groups, baselines))
    figure(paths[2], results, maskd, curves, order, groups)
    with open(paths[3], 'w') as f:
        json.dump(curves, f)
    return paths
