"""The small dense benchmark's rewrite of a real recipe into a 2-core CPU run, written once.

Every config of ``configs/benchmarks/small/`` inherits its method's real config plus
``configs/benchmarks/small/_base_/small_scale.py`` (the values: image size, batch, iterations,
crop range, queue length, the synthetic datasets, the probe hook) and, after its ``_base_``,
applies one of these functions to the inherited values::

    _base_ = ['<the method's real config>', './_base_/small_scale.py']

    from mmpcd.utils import small_scale  # noqa: E402 - after _base_ (see below)

    model = dict(...)  # only what the method needs (ResNet-18 widths, the queue length)
    globals().update(small_scale.pretraining_changes(_base_))

The functions return the config keys they change, as the config would have written them
(``_delete_`` where a recipe's value is replaced, not merged); mmengine then merges them into
the inherited config as usual, so ``Config.fromfile``, ``tools/train.py CONFIG`` and
``print_config.py`` see the resolved small run. The import stands after ``_base_``: an import
before it makes mmengine parse the file as a lazy-import config, which refuses this inheritance
chain; mmengine drops the imported module from the config dict.
"""

from typing import Optional, Sequence

from mmengine.config import ConfigDict


def _small_crops(base: ConfigDict) -> list:
    """The recipe's pipeline with every RandomResizedCrop(WithCoord) of every view at the small
    size and crop area range, and no file loading (the synthetic images are in memory)."""
    return [
        dict(
            step,
            transforms=[
                [
                    dict(t, scale=base.small_img_size, crop_ratio_range=base.small_crop_ratio_range)
                    if t.type.startswith('RandomResizedCrop')
                    else t
                    for t in view
                ]
                for view in step.transforms
            ],
        )
        if step.type.startswith('MultiView')
        else step
        for step in base.train_pipeline
        if step.type != 'LoadImageFromFile'
    ]


def pretraining_changes(base: ConfigDict, probe_stages: Optional[Sequence[int]] = None) -> dict:
    """The small-scale changes of a pre-training recipe (DenseCL, PixPro, PixContrast, PCD,
    mmpretrain's MoCo v2 and BYOL); everything else of the recipe is kept.

    Args:
        base: the config's inherited values (its ``_base_``): the recipe's ``train_pipeline``,
            ``param_scheduler``, ``train_cfg``, ``optim_wrapper`` and ``custom_hooks``, and the
            ``small_*`` values of ``_base_/small_scale.py``.
        probe_stages: the backbone outputs the online dense probe reads where they are not
            ResNet's C3-C5 (e.g. MobileNetV3-Large's stride-8/16/32 layers ``(6, 12, 16)``).

    Returns:
        The changed keys: ``train_pipeline``, ``train_dataloader``, ``param_scheduler``,
        ``train_cfg``, ``auto_scale_lr``, ``optim_wrapper``, ``custom_hooks``,
        ``default_hooks``, ``randomness``.
    """
    train_pipeline = _small_crops(base)
    probe_hook = base.small_probe_hook
    if probe_stages is not None:
        probe_hook = dict(probe_hook, stages=tuple(probe_stages))
    return dict(
        train_pipeline=train_pipeline,
        train_dataloader=dict(
            batch_size=base.small_batch,
            num_workers=0,
            persistent_workers=False,
            # mmengine tags every dict inherited through `mmpretrain::` with `_scope_`, which
            # default_collate would receive as an argument.
            collate_fn=dict(_delete_=True, type='default_collate'),
            dataset=dict(_delete_=True, **base.small_train_dataset, pipeline=train_pipeline),
        ),
        # The recipe's schedule compressed into the run's single epoch (warm-up fraction kept).
        param_scheduler=[
            dict(
                s,
                convert_to_iter_based=True,
                **{
                    k: s[k] / base.train_cfg.max_epochs for k in ('begin', 'end', 'T_max') if k in s
                },
            )
            for s in base.param_scheduler
        ],
        train_cfg=dict(max_epochs=1),  # the synthetic dataset is the whole run
        # The recipe's lr scaled linearly from its base batch to small_batch (mmengine's rule).
        auto_scale_lr=dict(enable=True),
        # fp32: no AMP on a CPU.
        optim_wrapper=dict(
            {k: v for k, v in base.optim_wrapper.items() if k != 'loss_scale'},
            _delete_=True,
            type='OptimWrapper',
        ),
        custom_hooks=base.get('custom_hooks', []) + [probe_hook],
        default_hooks=dict(logger=dict(interval=10), checkpoint=dict(interval=1, max_keep_ckpts=1)),
        randomness=dict(seed=0),
    )


def detection_changes(base: ConfigDict, iters: int, evaluate: bool = True) -> dict:
    """The small-scale changes of a tiny MasKD-pair config (projects/maskd/configs/tiny): the
    benchmark's synthetic images and boxes, ``iters`` iterations, COCO box AP at the end.

    Args:
        base: the config's inherited values: the tiny config's ``train_pipeline`` and the
            ``small_*`` values of ``_base_/small_scale.py``.
        iters: the run's length (the detector's or MasKD stage 1's budget).
        evaluate: whether the run ends with box AP on the held-out images (not for MasKD's
            stage 1, which trains tokens only).

    Returns:
        The changed keys: ``train_dataloader``, ``train_cfg``, ``default_hooks``,
        ``randomness`` and, with ``evaluate``, ``test_pipeline``, ``val_dataloader``,
        ``val_evaluator``, ``val_cfg``.
    """
    changes = dict(
        train_dataloader=dict(
            batch_size=base.small_det_batch,
            dataset=dict(_delete_=True, **base.small_train_dataset, pipeline=base.train_pipeline),
        ),
        train_cfg=dict(max_iters=iters),
        default_hooks=dict(
            logger=dict(interval=10), checkpoint=dict(interval=iters, max_keep_ckpts=1)
        ),
        randomness=dict(seed=0),
    )
    if not evaluate:
        return changes
    test_pipeline = [
        dict(type='mmdet.LoadAnnotations', with_bbox=True),
        dict(
            type='mmdet.Resize', scale=(base.small_img_size, base.small_img_size), keep_ratio=True
        ),
        # `instances` (the raw boxes) is what CocoMetric without an ann_file evaluates against.
        dict(
            type='mmdet.PackDetInputs',
            meta_keys=('img_id', 'ori_shape', 'img_shape', 'scale_factor', 'instances'),
        ),
    ]
    changes['train_cfg'].update(val_interval=iters)
    changes.update(
        test_pipeline=test_pipeline,
        val_dataloader=dict(
            _delete_=True,
            batch_size=8,
            num_workers=0,
            persistent_workers=False,
            drop_last=False,
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(**base.small_det_val_dataset, pipeline=test_pipeline),
        ),
        val_evaluator=dict(
            _delete_=True, type='CocoMetric', ann_file=None, metric='bbox', format_only=False
        ),
        val_cfg=dict(_delete_=True, type='ValLoop'),
    )
    return changes
