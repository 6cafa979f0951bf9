"""The small dense benchmark: its configs apply the same small-scale changes to every method's
real config, its pieces (scheduler, report, PCD teacher conversion) do what they say, and
``--quick`` runs the whole pipeline and fills every table (the ranking is not checked)."""

import ast
import glob
import json
import os.path as osp
import re
import subprocess

import pytest
import torch
from mmengine.config import Config

from mmpcd.converters.pcd_teacher import to_pcd_teacher, write_pcd_teacher
from mmpcd.models.teachers import SpatialAdaptor
from mmpcd.models.teachers.layouts import load_teacher
from mmpcd.utils.checkpoint import read_checkpoint
from tests.conftest import REPO_ROOT, load_script

SMALL = osp.join(REPO_ROOT, 'configs', 'benchmarks', 'small')
PRETRAIN = sorted(set(glob.glob(osp.join(SMALL, '*_1xb32-*.py'))))
bench = load_script('tools/benchmarks/dense_bench.py')
report = load_script('tools/benchmarks/dense_bench_report.py')


def crops(pipeline):
    """Every RandomResizedCrop(WithCoord) step of a (multi-view) pipeline."""
    for step in pipeline:
        for view in step.get('transforms', []):
            yield from (t for t in view if t['type'].startswith('RandomResizedCrop'))


@pytest.mark.parametrize('path', PRETRAIN, ids=osp.basename)
def test_every_small_config_applies_the_same_changes(path):
    cfg = Config.fromfile(path)
    base = Config.fromfile(osp.join(SMALL, '_base_', 'small_scale.py'))
    data = cfg.train_dataloader
    assert data.batch_size == base.small_batch and data.num_workers == 0
    assert data.dataset.type == 'SyntheticDenseDataset' and data.dataset.seed == 100
    assert data.dataset.num_images == base.small_batch * base.small_iters
    assert tuple(data.dataset.img_shape) == (base.small_img_size,) * 2
    assert cfg.auto_scale_lr.enable and cfg.optim_wrapper.type == 'OptimWrapper'
    assert 'loss_scale' not in cfg.optim_wrapper
    hooks = [h for h in cfg.custom_hooks if h['type'] == 'DenseProbeHook']
    assert len(hooks) == 1 and hooks[0].interval == base.small_iters // 2
    if 'supervised' in path:
        assert cfg.train_cfg.max_iters == base.small_iters
        assert cfg.model.backbone.depth == 18 and cfg.model.backbone.dilations == (1, 1, 1, 1)
        return
    assert cfg.train_cfg.max_epochs == 1  # the dataset is the whole run
    steps = list(crops(data.dataset.pipeline))
    assert steps and all(
        s.scale == base.small_img_size and s.crop_ratio_range == base.small_crop_ratio_range
        for s in steps
    )
    assert not any(s['type'] == 'LoadImageFromFile' for s in data.dataset.pipeline)
    # A scheduler without `end` ends with training: the runner sets end = max_epochs (1).
    assert all(
        s.by_epoch and s.convert_to_iter_based and s.get('end', 1) <= 1 for s in cfg.param_scheduler
    )
    if 'queue_len' in cfg.model:
        assert cfg.model.queue_len == base.small_queue_len
    backbone = cfg.model.backbone
    assert backbone.type == 'MobileNetV3' if 'mobilenet' in path else backbone.depth == 18


def test_recipe_schedules_are_compressed_not_changed():
    """PixPro: 5 of 100 epochs warm-up -> 5 % of the run; BYOL (mmpretrain): 10 of 200."""
    pixpro = Config.fromfile(
        osp.join(SMALL, 'pixpro_resnet18_1xb32-lars-coslr-100i_synthetic-64px.py')
    ).param_scheduler
    # The recipe's cosine has no `end`/`T_max`: it ends with training (the runner's default).
    assert [(s.type, s.begin, s.get('end')) for s in pixpro] == [
        ('LinearLR', 0, 0.05),
        ('CosineAnnealingLR', 0.05, None),
    ]
    assert 'T_max' not in pixpro[1] and pixpro[0].start_factor == 0.01
    byol = Config.fromfile(osp.join(SMALL, 'byol_resnet18_1xb32-lars-coslr-100i_synthetic-64px.py'))
    assert byol.param_scheduler[0].end == 0.05 and byol.auto_scale_lr.base_batch_size == 4096


# What mmpcd.utils.small_scale may change of a recipe; every other key stays the recipe's.
PRETRAIN_CHANGES = {
    'model',  # each config's own: ResNet-18 widths, the queue length, PCD's teacher
    'train_pipeline',
    'train_dataloader',
    'param_scheduler',
    'train_cfg',
    'auto_scale_lr',
    'optim_wrapper',
    'custom_hooks',
    'default_hooks',
    'randomness',
}
DETECTION_CHANGES = {
    'train_dataloader',
    'train_cfg',
    'default_hooks',
    'randomness',
    'test_pipeline',
    'val_dataloader',
    'val_evaluator',
    'val_cfg',
}
DETECTION = sorted(set(glob.glob(osp.join(SMALL, '*_1xb8-*.py'))))


def recipe_of(path: str) -> Config:
    """The method's real config: the first entry of the small config's ``_base_``."""
    from mmengine.hub import get_config

    base = ast.literal_eval(ast.parse(open(path).read()).body[0].value)[0]
    if '::' in base:
        return get_config(base)
    return Config.fromfile(osp.normpath(osp.join(osp.dirname(path), base)))


def without_scope(node):
    """``node`` without the ``_scope_`` tags mmengine stamps on what `pkg::` bases provide."""
    if isinstance(node, dict):
        return {k: without_scope(v) for k, v in node.items() if k != '_scope_'}
    if isinstance(node, (list, tuple)):
        return type(node)(without_scope(v) for v in node)
    return node


def without_small_crop(transform: dict) -> dict:
    """A transform without what the rewrite sets on crops (the others must be as they were)."""
    if not transform['type'].startswith('RandomResizedCrop'):
        return transform
    return {k: v for k, v in transform.items() if k not in ('scale', 'crop_ratio_range')}


def unchanged_keys(cfg: Config, recipe: Config, changed: set) -> list:
    scale = Config.fromfile(osp.join(SMALL, '_base_', 'small_scale.py'))
    mine, theirs = without_scope(cfg.to_dict()), without_scope(recipe.to_dict())
    others = (set(mine) | set(theirs)) - changed - set(scale)
    assert 'small_scale' not in mine  # mmengine drops the imported helper module
    return sorted(k for k in others if mine.get(k, 'missing') != theirs.get(k, 'missing'))


@pytest.mark.parametrize('path', [p for p in PRETRAIN if 'supervised' not in p], ids=osp.basename)
def test_small_pretraining_configs_keep_the_rest_of_their_recipe(path):
    """Only the keys the rewrite names change; inside them, only the small-scale values: crops
    (size, area range), file loading, the optimizer wrapper's type and loss scale, the probe."""
    cfg, recipe = Config.fromfile(path), recipe_of(path)
    assert unchanged_keys(cfg, recipe, PRETRAIN_CHANGES) == []
    mine, theirs = without_scope(cfg.to_dict()), without_scope(recipe.to_dict())
    recipe_steps = [s for s in theirs['train_pipeline'] if s['type'] != 'LoadImageFromFile']
    assert len(mine['train_pipeline']) == len(recipe_steps)
    for step, recipe_step in zip(mine['train_pipeline'], recipe_steps):
        assert {k: v for k, v in step.items() if k != 'transforms'} == {
            k: v for k, v in recipe_step.items() if k != 'transforms'
        }
        for view, recipe_view in zip(step.get('transforms', []), recipe_step.get('transforms', [])):
            assert [without_small_crop(t) for t in view] == [
                without_small_crop(t) for t in recipe_view
            ]
    wrapper = {k: v for k, v in theirs['optim_wrapper'].items() if k not in ('type', 'loss_scale')}
    assert {k: v for k, v in mine['optim_wrapper'].items() if k != 'type'} == wrapper
    assert mine['custom_hooks'][:-1] == theirs.get('custom_hooks', [])
    assert mine['custom_hooks'][-1]['type'] == 'DenseProbeHook'


@pytest.mark.parametrize('path', DETECTION, ids=osp.basename)
def test_small_detection_configs_apply_the_small_values_only(path):
    """The tiny MasKD-pair configs: the benchmark's images and boxes, its budget, box AP on the
    held-out split (not for the stage-1 tokens); the rest of the tiny config is kept."""
    cfg, recipe = Config.fromfile(path), recipe_of(path)
    base = Config.fromfile(osp.join(SMALL, '_base_', 'small_scale.py'))
    tokens = 'maskd-tokens' in path
    changed = DETECTION_CHANGES | ({'param_scheduler'} if tokens else {'model'})
    assert unchanged_keys(cfg, recipe, changed) == []
    iters = base.small_token_iters if tokens else base.small_det_iters
    data = cfg.train_dataloader
    assert data.batch_size == base.small_det_batch and data.dataset.seed == 100
    assert data.dataset.pipeline == recipe.train_pipeline
    assert cfg.train_cfg.max_iters == iters and cfg.default_hooks.checkpoint.interval == iters
    if tokens:
        assert cfg.train_cfg.get('val_interval') == recipe.train_cfg.get('val_interval')
        assert cfg.param_scheduler[0].T_max == iters
        return
    assert cfg.train_cfg.val_interval == iters
    val = cfg.val_dataloader.dataset
    assert val.seed == 1 and val.num_images == 64 and val.test_mode
    assert cfg.val_evaluator == dict(
        type='CocoMetric', ann_file=None, metric='bbox', format_only=False
    )


def test_run_tasks_respects_dependencies_and_stops_on_failure():
    order = []
    progress = bench.Progress(0, 3)
    tasks = [
        bench.Task('b', lambda: order.append('b'), deps=['a']),
        bench.Task('a', lambda: order.append('a')),
    ]
    bench.run_tasks(tasks, 2, progress)
    assert order == ['a', 'b']

    def fail():
        raise RuntimeError('boom')

    with pytest.raises(RuntimeError, match='boom'):
        bench.run_tasks(
            [bench.Task('x', fail), bench.Task('y', lambda: order.append('y'), deps=['x'])],
            1,
            progress,
        )
    assert order == ['a', 'b']  # y never started
    progress.close()


def test_the_iteration_bar_counts_runs_shorter_than_their_log_interval():
    """A task whose logs showed 2 of its 5 iterations still adds 5 once it succeeds; a
    failed one adds only what it showed."""
    progress = bench.Progress(12, 2)
    bench.run_tasks([bench.Task('short', lambda: progress.advance(2), iters=5)], 1, progress)
    assert progress.iters.n == 5

    def fail():
        progress.advance(1)
        raise RuntimeError('boom')

    with pytest.raises(RuntimeError, match='boom'):
        bench.run_tasks([bench.Task('failing', fail, iters=7)], 1, progress)
    assert progress.iters.n == 6
    progress.close()


def test_verdict_needs_more_than_the_seed_spread():
    results = {
        report.BASELINE: {'0': {'probe_miou': 50.0}, '1': {'probe_miou': 52.0}},
        'A': {'0': {'probe_miou': 53.0}, '1': {'probe_miou': 53.0}},
        'B': {'0': {'probe_miou': 55.0}, '1': {'probe_miou': 57.0}},
    }
    lines = report.verdicts(results, {report.BASELINE: 'baseline', 'A': 'pixel', 'B': 'pixel'})
    # A: +2.0 < spread 1.41 of the baseline? 2.0 > 1.41 -> beats; B: +5.0 > 1.41 -> beats.
    assert lines[0].startswith('- A: +2.0') and 'beats it' in lines[0]
    results['A'] = {'0': {'probe_miou': 50.0}, '1': {'probe_miou': 54.0}}  # +1.0, spread 2.83
    lines = report.verdicts(results, {report.BASELINE: 'baseline', 'A': 'pixel', 'B': 'pixel'})
    assert 'does **not** beat it' in lines[0]


def test_each_model_is_compared_with_the_baseline_of_its_own_init():
    """PixPro's zero-init residual network probes higher at random than DenseCL's: a model is
    judged against the BN-adapted random network named by its ``baseline``."""
    results = {
        report.BASELINE: {'0': {'probe_miou': 50.0}, '1': {'probe_miou': 51.0}},
        'zero-init + BN': {'0': {'probe_miou': 60.0}, '1': {'probe_miou': 61.0}},
        'P': {'0': {'probe_miou': 60.0}, '1': {'probe_miou': 61.0}},
        'D': {'0': {'probe_miou': 60.0}, '1': {'probe_miou': 61.0}},
    }
    groups = dict.fromkeys(results, 'pixel')
    groups.update({report.BASELINE: 'baseline', 'zero-init + BN': 'baseline'})
    lines = report.verdicts(results, groups, {'P': 'zero-init + BN'})
    assert lines[0].startswith("- P: +0.0 mIoU vs the BN-adapted 'zero-init + BN'")
    assert 'does **not** beat it' in lines[0]
    assert lines[1].startswith('- D: +10.0') and 'beats it' in lines[1]
    assert 'did not run' in report.verdicts(results, groups, {'P': 'missing'})[0]


def test_a_single_seed_gets_no_spread_of_its_own():
    groups = {report.BASELINE: 'baseline', 'A': 'pixel'}
    results = {report.BASELINE: {'0': {'probe_miou': 50.0}}, 'A': {'0': {'probe_miou': 53.0}}}
    assert 'no verdict' in report.verdicts(results, groups)[0]  # no spread at all
    results[report.BASELINE]['1'] = {'probe_miou': 54.0}  # baseline spread 2.83
    line = report.verdicts(results, groups)[0]
    assert 'this model ran one seed' in line and 'does **not** beat it' in line
    assert report._cell(report.summarise(results['A'], 'probe_miou'), 1, 3) == '53.0 (1 seed)'
    assert (
        report._cell(report.summarise(results[report.BASELINE], 'probe_miou'), 1, 3)
        == '52.0 ± 2.8 (2 seeds)'
    )


def _heads():
    """Pre-training state dicts of each head layout the PCD teacher conversion reads."""
    from mmpretrain.models.necks import MoCoV2Neck, NonLinearNeck

    from mmpcd.models.necks import DenseProjection

    torch.manual_seed(0)
    necks = dict(
        pixpro=(
            'projector.',
            DenseProjection(8, 16, 4, norm_cfg=dict(type='BN'), with_global=False),
        ),
        byol=('neck.', NonLinearNeck(8, 16, 4, with_bias=True, with_last_bn=False)),
        mocov2=('neck.', MoCoV2Neck(8, 16, 4)),
        densecl=('neck.', DenseProjection(8, 16, 4)),
    )
    for method, (prefix, neck) in necks.items():
        for module in neck.modules():  # non-trivial BN statistics
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.running_mean.uniform_(-1, 1)
                module.running_var.uniform_(0.5, 2)
        yield method, prefix, neck.eval()


@pytest.mark.parametrize('method,prefix,neck', list(_heads()), ids=lambda v: str(v)[:8])
def test_pcd_teacher_conversion_keeps_the_head(method, prefix, neck, tmp_path):
    """Loaded strictly by PCD's teacher loader, the adaptor on a map pooled afterwards equals
    the method's vector head on the pooled map (the SpatialAdaptor invariance)."""
    from mmpretrain.models import ResNet

    backbone = ResNet(depth=18, out_indices=(3,))
    state = {f'backbone.{k}': v for k, v in backbone.state_dict().items()}
    state.update({prefix + k: v for k, v in neck.state_dict().items()})
    torch.save({'state_dict': state}, tmp_path / 'pretrained.pth')
    path = str(tmp_path / 'teacher.pth')
    head = write_pcd_teacher(str(tmp_path / 'pretrained.pth'), path)
    assert head.method == method and head.channels == (8, 16, 4)
    adaptor = SpatialAdaptor(head.channels, bias=head.bias)
    load_teacher(ResNet(depth=18, out_indices=(3,)), adaptor, read_checkpoint(path), path)
    feats = torch.randn(2, 8, 3, 3)
    pooled = feats.mean(dim=(2, 3))
    if method in ('pixpro', 'densecl'):  # the dense branch, as a vector head on the pool
        expected = neck.mlp2(pooled[..., None, None]).flatten(1)
    elif method == 'byol':
        expected = neck([pooled[..., None, None]])[0]
    else:
        expected = neck.mlp(pooled)
    torch.testing.assert_close(adaptor.eval()(feats).mean(dim=(2, 3)), expected)


def test_conversion_refuses_a_checkpoint_without_a_head():
    with pytest.raises(ValueError, match='no projection head PCD can use'):
        to_pcd_teacher({'backbone.conv1.weight': torch.zeros(1)})


def test_quick_benchmark_fills_every_table(python, repo_root, tmp_path):
    """The whole pipeline at toy size through the documented command (1.4 minutes on 2 idle
    cores): every model has a probe score, every ResNet-18 a fine-tune score, MasKD
    three box APs, and the figure and curves exist."""
    result = subprocess.run(
        [python, 'tools/benchmarks/dense_bench.py', '--quick', '--work-dir', str(tmp_path)],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    table = (tmp_path / 'results.md').read_text()
    cell = r'[\d.]+ \(1 seed\)'  # one seed: the mean, no spread
    rows = {
        name: finetune
        for name, finetune in re.findall(
            rf'^\| (.+?) \| \w+ \| {cell} \| (.+) \| .+ \|$', table, re.M
        )
    }
    models = [m.name for m in bench.BASELINES + bench.PRETRAINED + bench.STUDENTS]
    assert set(rows) == set(models)
    for model in bench.BASELINES + bench.PRETRAINED + bench.STUDENTS:
        has_finetune = model.finetune and model.name != bench.RANDOM_BN
        assert bool(re.fullmatch(cell, rows[model.name])) == has_finetune
    assert re.findall(
        rf'^\| (teacher|student|student \+ MasKD) \| {cell} \| 1 \|$', table, re.M
    ) == ['teacher', 'student', 'student + MasKD']
    assert len(re.findall(r'vs the BN-adapted ', table)) == len(bench.PRETRAINED + bench.STUDENTS)
    results = json.loads((tmp_path / 'results.json').read_text())
    assert results['meta']['pcd_teacher'] in [m.name for m in bench.PRETRAINED]
    finetunes = 1 + sum(m.finetune for m in bench.PRETRAINED + bench.STUDENTS)  # + random
    assert len(results['meta']['trainings']) == 8 + 4 + finetunes  # pre-train, MasKD
    curves = json.loads((tmp_path / 'curves.json').read_text())
    assert set(curves) == {m.name for m in bench.PRETRAINED + bench.STUDENTS}
    assert all(c['0']['loss'] and c['0']['probe'] for c in curves.values())
    assert (tmp_path / 'results.png').stat().st_size > 20_000


def test_report_of_an_interrupted_run_names_what_did_not_run(tmp_path):
    """--report writes the tables of what state.json holds and lists the tasks left."""
    state = dict(
        done=['probe random init s0'],
        teacher=None,
        checkpoints=[],
        trainings=[],
        results={bench.RANDOM: {'0': {'probe_miou': 40.0}}},
        curves={},
        maskd={},
        seconds=60.0,
        cpu_seconds=50.0,
        load=[1.5, 2.5],
    )
    (tmp_path / 'state.json').write_text(json.dumps(state))
    bench.main(['--report', '--seeds', '0', '--work-dir', str(tmp_path)])
    table = (tmp_path / 'results.md').read_text()
    assert '| random init | baseline | 40.0 (1 seed) | — | — |' in table
    assert 'load average during the run: mean 2.0, max 2.5' in table
    left = re.search(r'\*\*Interrupted run\*\*: (\d+) tasks did not run \((.+?)\)', table)
    assert (
        left and 'train PixPro s0' in left.group(2) and 'probe random init s0' not in left.group(2)
    )
    meta = json.loads((tmp_path / 'results.json').read_text())['meta']
    assert int(left.group(1)) == len(meta['not_run']) and meta['cpu_seconds'] == 50.0
