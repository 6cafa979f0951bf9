"""``tools/train.py CONFIG --smoke-test``: any config as a few-iteration CPU run on embedded or
synthetic data, with the model as configured.

What changes (and only that):

- **data**: pre-training configs read the embedded photographs (``data/demo/images``) with
  their own pipeline; mmdet/mmseg configs (transfer, MasKD) read ``SyntheticDenseDataset``
  at 64 px (384 px with deformable convolutions); mmpretrain classification configs (linear
  benchmarks) read the photographs with labels written to the work dir. Batches of
  :data:`BATCH`, no workers, no validation/test;
- **length**: :data:`ITERS` iterations (one epoch of ``ITERS`` batches for epoch loops);
- **precision**: fp32 (an ``AmpOptimWrapper`` becomes an ``OptimWrapper``);
- **no downloads**: ``Pretrained`` initialisations, ``pretrained=...`` and ``load_from`` are
  dropped; teachers are random (``teacher_checkpoint='random'``, MasKD's
  ``teacher_ckpt='random'`` and ``tokens='random'``).
"""

import os
import os.path as osp
from typing import Any

from mmengine.config import Config, ConfigDict

from mmpcd.utils.config_package import MMPCD_ROOT, model_config_of

ITERS = 2
BATCH = 2
RANDOM = 'random'
# The embedded photographs, next to the package (a checkout) or in its .mim (an install).
_DEMO_ROOTS = (
    osp.join(osp.dirname(MMPCD_ROOT), 'data', 'demo'),
    osp.join(MMPCD_ROOT, '.mim', 'data', 'demo'),
)


def demo_data_root() -> str:
    for root in _DEMO_ROOTS:
        if osp.isdir(osp.join(root, 'images')):
            return root
    raise FileNotFoundError(
        f'--smoke-test needs the embedded photographs, looked for in {" and ".join(_DEMO_ROOTS)}.'
    )


def _task(cfg: Config) -> str:
    """'mmdet', 'mmseg', 'classification' or 'pretrain'."""
    scope = cfg.get('default_scope', 'mmpcd')
    if scope in ('mmdet', 'mmseg'):
        return scope
    pipeline = str(cfg.train_dataloader.dataset.get('pipeline', ''))
    return 'pretrain' if 'MultiView' in pipeline else 'classification'


def _without_downloads(node: Any) -> Any:
    """``node`` with ``Pretrained`` init configs and ``pretrained=<name>`` removed; a model
    named by ``dict(cfg_path=...)`` (MasKD's students and teachers) is inlined first, so that
    its own initialisation is reached too."""
    if isinstance(node, dict):
        if 'cfg_path' in node and not node.get('pretrained', False):
            node = ConfigDict(model_config_of(node['cfg_path']))
        out = type(node)()
        for key, value in node.items():
            if key == 'init_cfg' and 'Pretrained' in str(value):
                value = None
            elif key == 'pretrained' and isinstance(value, str):
                value = None
            out[key] = _without_downloads(value)
        return out
    if isinstance(node, (list, tuple)):
        return type(node)(_without_downloads(v) for v in node)
    return node


def _random_teachers(model: ConfigDict) -> None:
    if isinstance(model.get('teacher'), dict) and 'checkpoint' in model.teacher:
        model.teacher.checkpoint = RANDOM  # PCD
    if 'teacher_ckpt' in model:
        model.teacher_ckpt = RANDOM  # MasKD
    if isinstance(model.get('maskd_loss'), dict):
        model.maskd_loss.tokens = RANDOM


def _image_size(model: ConfigDict) -> int:
    """64 px, or 384 px for deformable convolutions (RepPoints' head, DCN backbones): mmcv's
    3x3 deformable conv refuses maps under 3x3, and P7 (stride 128) needs 384 px for that."""
    text = str(model)
    return 384 if any(name in text for name in ('RepPoints', 'DCN', 'DeformConv')) else 64


def _reading_files(pipeline: list) -> list:
    """``pipeline`` reading the photographs from disk: the small benchmark configs drop
    ``LoadImageFromFile`` (their synthetic images are in memory)."""
    if any('LoadImage' in step.get('type', '') for step in pipeline):
        return pipeline
    return [dict(type='LoadImageFromFile'), *pipeline]


def _dataset(cfg: Config, task: str, work_dir: str) -> dict:
    size = BATCH * ITERS
    if task == 'mmdet':
        with_mask = 'mask_head' in str(cfg.model)
        pipeline = [
            dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=with_mask),
            dict(type='mmdet.PackDetInputs'),
        ]
    elif task == 'mmseg':
        pipeline = [dict(type='mmseg.PackSegInputs')]
    if task in ('mmdet', 'mmseg'):
        return dict(
            type='SyntheticDenseDataset',
            _scope_='mmpcd',
            num_images=size,
            img_shape=(_image_size(cfg.model),) * 2,
            seed=0,
            pipeline=pipeline,
        )
    root = demo_data_root()
    dataset = dict(
        type='CustomDataset',
        data_root=root,
        data_prefix='images',
        pipeline=_reading_files(cfg.train_dataloader.dataset.pipeline),
        indices=size,
    )
    if task == 'pretrain':
        return dict(dataset, with_label=False)
    images = sorted(os.listdir(osp.join(root, 'images')))[:size]
    ann_file = osp.join(work_dir, 'smoke_test_labels.txt')
    os.makedirs(work_dir, exist_ok=True)
    with open(ann_file, 'w') as file:
        file.writelines(f'{name} {i % 2}\n' for i, name in enumerate(images))
    return dict(dataset, ann_file=ann_file, indices=None)


def _set_input_size(model: ConfigDict, task: str) -> None:
    """mmseg pads every batch to ``data_preprocessor.size`` (512 x 1024 for Cityscapes)."""
    if task != 'mmseg':
        return
    for holder in (model, model.get('student')):
        if (
            isinstance(holder, dict)
            and isinstance(holder.get('data_preprocessor'), dict)
            and 'size' in holder.data_preprocessor
        ):
            holder.data_preprocessor.size = (64, 64)


def _restate_in_iterations(scheduler: ConfigDict) -> None:
    """A schedule given in fractions of an epoch (the small benchmark configs compress theirs
    into one) rounds to empty spans in an epoch of :data:`ITERS` iterations (``end=0``), which
    mmengine refuses; it is restated in iterations, each span at least one."""
    begin = int(scheduler.get('begin', 0) * ITERS)
    scheduler.update(
        begin=begin,
        end=max(int(scheduler.end * ITERS), begin + 1),
        by_epoch=False,
        convert_to_iter_based=False,
    )
    if 'T_max' in scheduler:
        scheduler.T_max = max(int(scheduler.T_max * ITERS), 1)


def smoke_test_config(cfg: Config) -> Config:
    """``cfg`` (with its ``work_dir`` set) turned into the smoke test described above."""
    task = _task(cfg)
    cfg.model = _without_downloads(cfg.model)
    _random_teachers(cfg.model)
    _set_input_size(cfg.model, task)
    if 'data_preprocessor' in cfg and task == 'mmseg':
        cfg.data_preprocessor = dict(cfg.data_preprocessor, size=(64, 64))
    if cfg.get('teacher_checkpoint') is not None:
        cfg.teacher_checkpoint = RANDOM
    cfg.load_from, cfg.resume = None, False

    loader = cfg.train_dataloader
    loader.dataset = _dataset(cfg, task, cfg.work_dir)
    loader.update(batch_size=BATCH, num_workers=0, persistent_workers=False, batch_sampler=None)
    for stage in ('val', 'test'):
        for key in (f'{stage}_dataloader', f'{stage}_cfg', f'{stage}_evaluator'):
            cfg[key] = None

    wrapper = cfg.optim_wrapper
    if wrapper.get('type') == 'AmpOptimWrapper':
        wrapper.type = 'OptimWrapper'
        for key in ('loss_scale', 'dtype'):
            wrapper.pop(key, None)

    by_epoch = 'max_epochs' in cfg.train_cfg
    if by_epoch:
        cfg.train_cfg = dict(type=cfg.train_cfg.get('type', 'EpochBasedTrainLoop'), max_epochs=1)
    else:
        cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=ITERS)
    # A scheduler without `end` ends with training (the runner's default): one that begins after
    # the shortened run would then end before it begins, which mmengine refuses.
    schedulers = cfg.get('param_scheduler') or []
    for scheduler in schedulers if isinstance(schedulers, list) else [schedulers]:
        if 'end' not in scheduler:
            scheduler.end = max(scheduler.get('begin', 0) + 1, 1 if by_epoch else ITERS)
        if by_epoch and scheduler.get('convert_to_iter_based'):
            _restate_in_iterations(scheduler)
    hooks = cfg.default_hooks
    hooks.logger = dict(hooks.get('logger', dict(type='LoggerHook')), interval=1)
    if hooks.get('checkpoint'):
        hooks.checkpoint = dict(
            hooks.checkpoint, interval=1 if by_epoch else ITERS, by_epoch=by_epoch
        )
    cfg.log_processor = dict(cfg.get('log_processor', {}), by_epoch=by_epoch)
    return cfg
