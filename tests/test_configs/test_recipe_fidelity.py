"""Every MasKD, PixPro, PixContrast, DenseCL and PCD config resolves (through all of its
``_base_`` files, mmdet's and mmseg's included) to the recipe of ``recipe_table.py``: the
official values, or a documented fix. A value inherited from a base that differs from the
official config (e.g. mmdet's RetinaNet lr 0.01 where MasKD trains at 0.02) fails here."""

import glob
import math
import os.path as osp
import re

import pytest
from mmengine.config import Config

from mmpcd.utils import register_all_modules
from tests.conftest import REPO_ROOT
from tests.test_configs.recipe_table import NOT_RECIPES, TABLE

# Which configs the table must cover: those of the five methods (the MasKD tiny configs and
# the transfer benchmarks other than PixPro's own linear evaluation are not recipes).
COVERED = (
    'projects/maskd/configs/*.py',
    'configs/densecl/**/*.py',
    'configs/pixpro/**/*.py',
    'configs/pixcontrast/**/*.py',
    'configs/pcd/**/*.py',
    'configs/benchmarks/mmpretrain/*pixpro*.py',
)
ROWS = [
    (osp.join(folder, name), row)
    for folder, rows in TABLE.items()
    for name, row in sorted(rows.items())
]
SCHEDULER_DEFAULTS = dict(begin=0, by_epoch=True, convert_to_iter_based=False, eta_min=0.0)


def load(path: str) -> Config:
    register_all_modules(init_default_scope=False)
    import projects.maskd.maskd  # noqa: F401  (the MasKD configs' custom_imports)

    return Config.fromfile(osp.join(REPO_ROOT, path))


def detector_nms(model) -> float:
    """Test-time NMS IoU of the detector a config trains or distils into (None without)."""
    detector = model.get('student') or model.get('teacher')
    if model.type == 'MasKDDistiller' or detector is None or 'test_cfg' not in detector:
        detector = model.get('student', detector)
    test_cfg = (detector or {}).get('test_cfg') or {}
    nms = test_cfg.get('rcnn', test_cfg).get('nms')
    return None if nms is None else nms.iou_threshold


def runner_scheduler(scheduler: dict, train_cfg: dict) -> dict:
    """A param scheduler with the values mmengine fills in when it builds it: ``end`` from
    the train loop's length (``Runner.build_param_scheduler``), a cosine's ``T_max`` as
    ``end - begin``, and the schedulers' defaults."""
    scheduler = {**SCHEDULER_DEFAULTS, **scheduler}
    length = train_cfg.get('max_epochs') if scheduler['by_epoch'] else train_cfg.get('max_iters')
    scheduler.setdefault('end', length)
    if scheduler['type'] == 'CosineAnnealingLR' and scheduler.get('T_max') is None:
        scheduler['T_max'] = scheduler['end'] - scheduler['begin']
    return scheduler


def resolve(path: str) -> dict:
    """The recipe fields of ``recipe_table.Row.values`` as the config resolves them."""
    cfg = load(path)
    wrapper = cfg.optim_wrapper
    opt = wrapper.optimizer
    clip = wrapper.get('clip_grad')
    gpus = int(re.search(r'_(\d+)xb(\d+)', osp.basename(path)).group(1))
    train_cfg = cfg.train_cfg
    length = (
        ('iters', train_cfg.max_iters)
        if 'max_iters' in train_cfg
        else ('epochs', train_cfg.max_epochs)
    )
    model = cfg.model
    return dict(
        optimizer=(opt.type, opt.lr, opt.get('momentum'), opt.get('weight_decay', 0.0)),
        clip=None if clip is None else clip.max_norm,
        schedule=[runner_scheduler(s, train_cfg) for s in cfg.param_scheduler],
        length=length,
        batch=(gpus, cfg.train_dataloader.batch_size),
        nms=detector_nms(model) if 'teacher' in model or 'student' in model else None,
        paramwise=dict(wrapper.get('paramwise_cfg') or {}),
    )


def same(actual, expected) -> bool:
    if isinstance(expected, float) or isinstance(actual, float):
        return (
            expected is not None
            and actual is not None
            and math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-12)
        )
    if isinstance(expected, (tuple, list)):
        return len(actual) == len(expected) and all(map(same, actual, expected))
    return actual == expected


def schedule_matches(actual: list, expected: list) -> bool:
    """Each scheduler has the expected type, range and the keys the table names."""
    return len(actual) == len(expected) and all(
        all(
            same(a.get(k), v)
            for k, v in {**SCHEDULER_DEFAULTS, **e}.items()
            if k in e or k in ('begin', 'by_epoch')
        )
        for a, e in zip(actual, expected)
    )


@pytest.mark.parametrize('path, row', ROWS, ids=[osp.basename(p) for p, _ in ROWS])
def test_config_resolves_to_its_recipe(path, row):
    resolved = resolve(path)
    expected = row.values
    mismatches = []
    for field in ('optimizer', 'clip', 'length', 'batch', 'nms'):
        if not same(resolved[field], expected[field]):
            mismatches.append(f'{field}: {resolved[field]} != {expected[field]}')
    if not schedule_matches(resolved['schedule'], expected['schedule']):
        mismatches.append(f'schedule: {resolved["schedule"]} != {expected["schedule"]}')
    for key, value in expected.get('paramwise', {}).items():
        if not same(resolved['paramwise'].get(key), value):
            mismatches.append(f'paramwise_cfg.{key}: {resolved["paramwise"].get(key)} != {value}')
    assert not mismatches, f'{path} (upstream: {row.source}):\n' + '\n'.join(mismatches)


@pytest.mark.parametrize(
    'path, row', [r for r in ROWS if r[1].fixed], ids=[osp.basename(p) for p, r in ROWS if r.fixed]
)
def test_every_fix_is_a_real_difference_with_a_reason(path, row):
    for field, (upstream, why) in row.fixed.items():
        ours = row.values[field]
        differs = (
            not schedule_matches(ours, upstream)
            if field == 'schedule'
            else not same(ours, upstream)
        )
        assert differs and len(why) > 20, (path, field)


def test_every_config_of_the_methods_has_a_row():
    listed = {p for p, _ in ROWS} | {osp.join('configs', p) for p in NOT_RECIPES}
    found = {
        osp.relpath(p, REPO_ROOT)
        for pattern in COVERED
        for p in glob.glob(osp.join(REPO_ROOT, pattern), recursive=True)
    }
    assert found - listed == set(), 'configs without a row in recipe_table.py'
    assert listed - found == set(), 'rows without a config'


def test_rows_cite_upstream_lines_or_say_they_are_additions():
    for path, row in ROWS:
        cites_lines = re.search(r'\.(py|sh|md):\d+', row.source) is not None
        assert cites_lines or row.addition, path
        assert row.addition == row.source.startswith('addition'), path
