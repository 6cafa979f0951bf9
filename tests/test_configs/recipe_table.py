"""The recipe table: what every MasKD, PixPro, PixContrast, DenseCL and PCD config resolves to,
with the upstream file:line each value was read from (at the commits below).

A row lists *our* resolved values. Where they differ from the official code on purpose, the
field is in ``fixed`` with the upstream value and the reason; everything else is the upstream
value. ``tests/test_configs/test_recipe_fidelity.py`` resolves each config through its whole
``_base_`` chain and compares, so an inherited value cannot change unnoticed.

Upstream commits: hunto/MasKD b5af34f (mmrazor/ = its mmrazor 0.x fork, mmdetection/ = mmdet
2.14 + the token hook, segmentation/ = its CIRKD-based code), zdaxie/PixPro e390d6b,
allo-rene/pcd 6b0ad4d, WXinlong/DenseCL b64bbb6.
"""

from typing import Dict, NamedTuple, Optional, Tuple

MASKD = 'hunto/MasKD@b5af34f:'
RAZOR = MASKD + 'mmrazor/configs/'
MMDET2 = MASKD + 'mmdetection/configs/'
SEG = MASKD + 'segmentation/'
PIXPRO = 'zdaxie/PixPro@e390d6b:'
PCD = 'allo-rene/pcd@6b0ad4d:'
DENSECL = 'WXinlong/DenseCL@b64bbb6:'


class Row(NamedTuple):
    """One config's resolved recipe.

    values: ``optimizer`` (type, lr, momentum, weight decay; momentum None for Adam),
        ``clip`` (max grad norm or None), ``schedule`` (the param schedulers, each a dict of
        the keys that matter), ``length`` (('epochs' | 'iters', n)), ``batch`` (GPUs, images
        per GPU), ``nms`` (test-time NMS IoU of the detector, None without one), optionally
        ``paramwise`` (keys of ``paramwise_cfg`` that must hold).
    source: where upstream states them (file:line), or what the config is when it has no
        upstream counterpart (``addition``).
    fixed: field -> (upstream value, why ours differs).
    """

    values: dict
    source: str
    fixed: Dict[str, Tuple[object, str]] = {}
    addition: bool = False


def linear(end: int, start_factor: float, by_epoch: bool = False) -> dict:
    return dict(type='LinearLR', start_factor=start_factor, begin=0, end=end, by_epoch=by_epoch)


def step(end: int = 24, milestones=(16, 22)) -> dict:
    return dict(type='MultiStepLR', milestones=list(milestones), gamma=0.1, end=end, by_epoch=True)


def cosine(begin: int, end: int, eta_min: float = 0.0, by_epoch: bool = True) -> dict:
    return dict(
        type='CosineAnnealingLR',
        T_max=end - begin,
        eta_min=eta_min,
        begin=begin,
        end=end,
        by_epoch=by_epoch,
    )


def poly(end: int, eta_min: float) -> dict:
    return dict(type='PolyLR', power=0.9, eta_min=eta_min, begin=0, end=end, by_epoch=False)


def warm_cosine(warmup: int, end: int, start_factor: float, eta_min: float) -> list:
    """Linear warm-up over ``warmup`` epochs, then cosine to ``eta_min`` at ``end``, both
    stepped per iteration."""
    return [
        dict(linear(warmup, start_factor, by_epoch=True), convert_to_iter_based=True),
        dict(cosine(warmup, end, eta_min), convert_to_iter_based=True),
    ]


def values(
    optimizer: tuple,
    schedule: list,
    length: tuple,
    batch: tuple,
    clip: Optional[float] = None,
    nms: Optional[float] = None,
    **extra,
) -> dict:
    return dict(
        optimizer=optimizer,
        clip=clip,
        schedule=schedule,
        length=length,
        batch=batch,
        nms=nms,
        **extra,
    )


# ----------------------------------------------------------------------------------------
# MasKD stage 2 (distillation): mmrazor/configs/distill/maskd/*.py on top of
# _base_/schedules/mmdet/schedule_2x.py (SGD 0.02, momentum 0.9, wd 1e-4 :2; no clipping :3;
# linear warm-up 500 iterations from 0.001, steps 16/22 :5-10; 24 epochs :11) and
# _base_/datasets/mmdet/coco_detection.py (2 images per GPU :32), 8 GPUs (README).
SGD_2X = ('SGD', 0.02, 0.9, 1e-4)
STEP_2X = [linear(500, 1e-3), step()]
RAZOR_2X = 'schedule_2x.py:2-11, datasets/mmdet/coco_detection.py:32'
KD = RAZOR + 'distill/maskd/'
MASKD_STAGE2 = {
    'maskd_fpn_faster-rcnn_r101_faster-rcnn_r50_8xb2-2x_coco.py': Row(
        values(SGD_2X, STEP_2X, ('epochs', 24), (8, 2), nms=0.5),
        f'{KD}fpn_r101-fpn_r50_coco.py:284 (student test NMS :110), {RAZOR_2X}',
    ),
    'maskd_fpn_cascade-mask-rcnn_x101_faster-rcnn_r50_8xb2-2x_coco.py': Row(
        values(SGD_2X, STEP_2X, ('epochs', 24), (8, 2), nms=0.5),
        f'{KD}cascade_mask_rcnn_x101-fpn_x50_coco.py:377 (student test NMS :110), {RAZOR_2X}',
    ),
    # Row 1 of issue 16: mmdet's RetinaNet 2x base has lr 0.01; the official config says 0.02.
    'maskd_fpn_retinanet_r101_retinanet_r50_8xb2-2x_coco.py': Row(
        values(SGD_2X, [linear(1000, 1e-3), step()], ('epochs', 24), (8, 2), clip=35, nms=0.5),
        f'{KD}retinanet_r101-retinanet_r50_coco.py:190 (lr 0.02), :191 (clip 35), '
        f':192 (1000 warm-up iterations), :68 (student test NMS), {RAZOR_2X}',
    ),
    'maskd_fpn_retinanet_x101_retinanet_r50_8xb2-2x_coco.py': Row(
        values(SGD_2X, [linear(1000, 1e-3), step()], ('epochs', 24), (8, 2), clip=35, nms=0.5),
        f'{KD}retinanet_x101-retinanet_r50_coco.py:192 (lr 0.02), :193 (clip 35), '
        f':195 (1000 warm-up iterations), :68 (student test NMS), {RAZOR_2X}',
    ),
    # Row 2: the student's test NMS is 0.6 ("following previous KD methods").
    'maskd_fpn_fcos_r101_fcos_r50_8xb2-2x_coco.py': Row(
        values(
            ('SGD', 0.01, 0.9, 1e-4),
            [linear(500, 1 / 3), step()],
            ('epochs', 24),
            (8, 2),
            clip=35,
            nms=0.6,
            paramwise=dict(bias_lr_mult=2.0, bias_decay_mult=0.0),
        ),
        f'{KD}fcos_r101-fcos_r50_coco.py:216 (lr 0.01), :208-210 (bias lr x2, no bias decay), '
        f':217 (clip 35), :220-225 (linear warm-up 500 iterations from 1/3), :71 (student test '
        f'NMS 0.6), :201 (2 images per GPU), {RAZOR_2X}',
    ),
    'maskd_fpn_reppoints_x101_reppoints_r50_8xb2-2x_coco.py': Row(
        values(('SGD', 0.01, 0.9, 1e-4), STEP_2X, ('epochs', 24), (8, 2), nms=0.5),
        f'{KD}reppoints_x101-reppoints-r50_coco.py:212 (SGD 0.01), :70 (student test NMS), '
        f'{RAZOR_2X}',
    ),
}

# MasKD stage 1 (tokens): mmdetection/configs/maskd/*.py:23-26 (2000 iterations, cosine to
# 1e-6 without warm-up, the optimizer), the teacher configs' test NMS, 8 GPUs x 2 images.
TOKENS = MMDET2 + 'maskd/'
COSINE_2000 = [cosine(0, 2000, eta_min=1e-6, by_epoch=False)]
ADAM = ('Adam', 0.01, None, 1e-3)
MASKD_STAGE1 = {
    'maskd-tokens_faster-rcnn_r101_fpn_8xb2-2000i_coco.py': Row(
        values(('SGD', 0.1, 0.9, 1e-4), COSINE_2000, ('iters', 2000), (8, 2), nms=0.5),
        f'{TOKENS}faster_rcnn_r101_fpn_2x_coco.py:23-25 (SGD lr 0.1, rest of _base_/schedules/'
        'schedule_2x.py:2-3), _base_/models/faster_rcnn_r50_fpn.py:104 (test NMS)',
    ),
    'maskd-tokens_retinanet_r101_fpn_8xb2-2000i_coco.py': Row(
        values(ADAM, COSINE_2000, ('iters', 2000), (8, 2), nms=0.5),
        f'{TOKENS}retinanet_r101_fpn_2x_coco.py:23-25, _base_/models/retinanet_r50_fpn.py:59',
    ),
    'maskd-tokens_retinanet_x101-64x4d_fpn_ms-3x_8xb2-2000i_coco.py': Row(
        values(ADAM, COSINE_2000, ('iters', 2000), (8, 2), nms=0.5),
        f'{TOKENS}retinanet_x101_64x4d_fpn_2x_coco.py:23-25, _base_/models/retinanet_r50_fpn.py:59',
    ),
    # Row 3: the token stage replaces only `optimizer`; `optimizer_config` keeps the FCOS
    # base's clipping at 35.
    'maskd-tokens_fcos_r101-caffe_fpn_gn-head_8xb2-2000i_coco.py': Row(
        values(ADAM, COSINE_2000, ('iters', 2000), (8, 2), clip=35, nms=0.5),
        f'{TOKENS}fcos_r101_caffe_fpn_gn-head_mstrain_640-800_2x_coco.py:23-25, clip from '
        f'{MMDET2}fcos/fcos_r50_caffe_fpn_gn-head_1x_coco.py:97-98 (kept: only `optimizer` is '
        '_delete_d), test NMS :59',
    ),
    'maskd-tokens_reppoints-moment_x101-dconv-c3-c5_fpn-gn_head-gn_8xb2-2000i_coco.py': Row(
        values(ADAM, COSINE_2000, ('iters', 2000), (8, 2), nms=0.5),
        f'{TOKENS}reppoints_moment_x101_fpn_dconv_c3-c5_gn-neck+head_2x_coco.py:23-25, '
        f'{MMDET2}reppoints/reppoints_moment_r50_fpn_1x_coco.py:65',
    ),
    'maskd-tokens_cascade-mask-rcnn_x101-64x4d_fpn_8xb2-2000i_coco.py': Row(
        values(('Adam', 0.01, None, 0.1), COSINE_2000, ('iters', 2000), (8, 2), nms=0.5),
        f'{TOKENS}cascade_mask_rcnn_x101_64x4d_fpn_20e_coco.py:24-26, '
        '_base_/models/cascade_mask_rcnn_r50_fpn.py:194',
    ),
    # Segmentation (CIRKD-based): batch 16 over 8 GPUs, 512x1024 crops.
    'maskd-tokens_deeplabv3_r101-d8_8xb2-10k_cityscapes-512x1024.py': Row(
        values(('SGD', 0.1, 0.9, 1e-3), [poly(10000, 0.0)], ('iters', 10000), (8, 2)),
        f'{SEG}train_mask_module.py:50 (batch 16), :54 (10k iterations), :56-61 (SGD 0.1, '
        'momentum 0.9, wd 1e-3), :195-196 (poly 0.9 to 0), :149 (batch / GPUs)',
    ),
}

MASKD_SEG_KD = Row(
    values(('SGD', 0.02, 0.9, 5e-4), [poly(40000, 1e-4)], ('iters', 40000), (8, 2)),
    f'{SEG}train_maskd.py:57 (batch 16), :61 (40k iterations), :63-68 (SGD 0.02, momentum '
    '0.9, wd 5e-4), :222 (poly 0.9 down to 1e-4), :144 (batch / GPUs)',
)
MASKD_STAGE2.update(
    {
        'maskd_logits_deeplabv3_r101_deeplabv3_r18_8xb2-40k_cityscapes-512x1024.py': MASKD_SEG_KD,
        'maskd_logits_deeplabv3_r101_pspnet_r18_8xb2-40k_cityscapes-512x1024.py': MASKD_SEG_KD,
        'maskd_logits_deeplabv3_r101_deeplabv3_mobilenetv2_8xb2-40k_cityscapes-512x1024.py': Row(
            values(('SGD', 0.02, 0.9, 2e-4), [poly(40000, 1e-4)], ('iters', 40000), (8, 2)),
            f'{SEG}train_scripts/train_maskd/deeplabv3_mbv2.sh:7 (wd 2e-4), otherwise as '
            + MASKD_SEG_KD.source[len(SEG) :],
        ),
    }
)

# ----------------------------------------------------------------------------------------
# PixPro: tools/pixpro_base_r50_100ep.sh:18 (128 per GPU), :24 (LARS), :25 (base lr 1.0),
# :26 (wd 1e-5), :27 (5 warm-up epochs), :28 (100 epochs), 8 GPUs (:9); main_pretrain.py:42
# (lr = 1.0 x 1024 / 256 = 4.0), :39-45 (SGD momentum wrapped by contrast/lars.py LARS);
# contrast/option.py:50 (warm-up from lr / 100), :56 (momentum 0.9); contrast/lr_scheduler.py
# :69-70 (cosine to 1e-6 over the iterations after the warm-up).
PIXPRO_LARS = ('PixProLARS', 4.0, 0.9, 1e-5)
PIXPRO_100E = Row(
    values(PIXPRO_LARS, warm_cosine(5, 100, 1e-2, 1e-6), ('epochs', 100), (8, 128)),
    f'{PIXPRO}tools/pixpro_base_r50_100ep.sh:18-28, main_pretrain.py:39-45, '
    'contrast/option.py:50,56, contrast/lr_scheduler.py:69-70',
)
PIXPRO_400E = Row(
    values(PIXPRO_LARS, warm_cosine(5, 400, 1e-2, 1e-6), ('epochs', 400), (8, 128)),
    f'{PIXPRO}tools/pixpro_base_r50_400ep.sh:28 (400 epochs), otherwise as the 100-epoch row',
)
PIXPRO_CONFIGS = {
    'pixpro/pixpro_resnet50_8xb128-lars-coslr-100e_in1k.py': PIXPRO_100E,
    'pixpro/pixpro_resnet50_8xb128-lars-coslr-400e_in1k.py': PIXPRO_400E,
    # --pixpro-ins-loss-weight 1 with the same scripts (README "100*" / "400*" rows).
    'pixpro/pixpro-ins_resnet50_8xb128-lars-coslr-100e_in1k.py': PIXPRO_100E,
    'pixpro/pixpro-ins_resnet50_8xb128-lars-coslr-400e_in1k.py': PIXPRO_400E,
    # The official backbone options (--arch resnet50_16s / resnet50_d, contrast/resnet.py:263-268)
    # with the released recipe.
    'pixpro/pixpro_resnet50-d16_8xb128-lars-coslr-100e_in1k.py': PIXPRO_100E._replace(
        source=PIXPRO_100E.source + ', contrast/resnet.py:131-134,263-264 (dilated C5)'
    ),
    'pixpro/pixpro_resnetv1d50_8xb128-lars-coslr-100e_in1k.py': PIXPRO_100E._replace(
        source=PIXPRO_100E.source + ', contrast/resnet.py:115-120,178-183,267-268 (ResNet-D)'
    ),
    # Paper-only variants, trained with the released recipe.
    'pixpro/pixpro_resnet50-fpn_8xb128-lars-coslr-100e_in1k.py': PIXPRO_100E._replace(
        source='addition (FPN pre-training is paper-only): ' + PIXPRO_100E.source, addition=True
    ),
    'pixpro/pixpro_resnet50-fpn-fcos-head_8xb128-lars-coslr-100e_in1k.py': PIXPRO_100E._replace(
        source='addition (FPN + FCOS head pre-training is paper-only): ' + PIXPRO_100E.source,
        addition=True,
    ),
    'pixcontrast/pixcontrast_resnet50_8xb128-lars-coslr-100e_in1k.py': PIXPRO_100E._replace(
        source='addition (PixContrast is paper-only): ' + PIXPRO_100E.source, addition=True
    ),
    'pixpro/pixpro_resnet50_8xb128-lars-coslr-800e_coco.py': Row(
        values(PIXPRO_LARS, warm_cosine(50, 800, 1e-2, 1e-6), ('epochs', 800), (8, 128)),
        'addition (PixPro pre-trains on ImageNet only): the 100-epoch recipe, 800 COCO '
        'epochs with a 50-epoch warm-up (~5 ImageNet epochs of iterations)',
        addition=True,
    ),
    # main_linear.py with contrast/option.py's linear-stage defaults: :27 (total batch 256),
    # :43 (lr 30), :49-50 (5 warm-up epochs from lr / 100), :55 (wd 0), :56 (momentum 0.9),
    # :60 (100 epochs), main_linear.py:35-38 (SGD on the fc only), lr_scheduler.py:69-70.
    'benchmarks/mmpretrain/resnet50_pixpro-linear_8xb32-coslr-100e_in1k.py': Row(
        values(('SGD', 30.0, 0.9, 0.0), warm_cosine(5, 100, 1e-2, 1e-6), ('epochs', 100), (8, 32)),
        f'{PIXPRO}contrast/option.py:27,43,49-50,55-56,60, main_linear.py:35-38, '
        'contrast/lr_scheduler.py:69-70',
    ),
}

# ----------------------------------------------------------------------------------------
# DenseCL: configs/selfsup/densecl/densecl_imagenet_200ep.py:60 (32 per GPU x 8), :70 (SGD
# 0.03, wd 1e-4, momentum 0.9), :72 (cosine to 0, per epoch), :75 (200 epochs);
# densecl_coco_800ep.py the same lines with lr 0.3 and 800 epochs.
DENSECL_200E = Row(
    values(('SGD', 0.03, 0.9, 1e-4), [cosine(0, 200)], ('epochs', 200), (8, 32)),
    f'{DENSECL}configs/selfsup/densecl/densecl_imagenet_200ep.py:60,70,72,75',
)
DENSECL_CONFIGS = {
    'densecl/densecl_resnet50_8xb32-coslr-200e_in1k.py': DENSECL_200E,
    'densecl/densecl_resnet101_8xb32-coslr-200e_in1k.py': DENSECL_200E._replace(
        source=DENSECL_200E.source + ' (README.md:38: the R101 model of this recipe)'
    ),
    'densecl/densecl_resnet18_8xb32-coslr-200e_in1k.py': DENSECL_200E._replace(
        source='addition (no official ResNet-18): ' + DENSECL_200E.source, addition=True
    ),
    'densecl/densecl_resnet50_8xb32-coslr-800e_coco.py': Row(
        values(('SGD', 0.3, 0.9, 1e-4), [cosine(0, 800)], ('epochs', 800), (8, 32)),
        f'{DENSECL}configs/selfsup/densecl/densecl_coco_800ep.py:60,70,72,75',
    ),
    'densecl/densecl_resnet50_8xb32-coslr-1600e_coco.py': Row(
        values(('SGD', 0.3, 0.9, 1e-4), [cosine(0, 1600)], ('epochs', 1600), (8, 32)),
        f'{DENSECL}README.md:35 (the 1600-epoch COCO model), otherwise '
        'densecl_coco_800ep.py:60,70,72',
    ),
}

# ----------------------------------------------------------------------------------------
# PCD: main_pcd.py:30 (-b 1024), :42 (100 epochs), :43 (lr 1.0), :44 (wd 1e-5), :45 (momentum
# 0.9), :47-48 (warm-up 10 epochs, cosine), :206 (lr x batch // 256); pcd/optimizer.py:26
# (LARS eta 1e-3), :80-95 (its update rule); pcd/utils.py:59-62 (warm-up from 0, cosine to 0).
PCD_ROW = Row(
    values(('PCDLARS', 4.0, 0.9, 1e-5), warm_cosine(10, 100, 1e-4, 0.0), ('epochs', 100), (8, 128)),
    f'{PCD}main_pcd.py:30,42-48,206, pcd/optimizer.py:26,80-95, pcd/utils.py:59-62',
    fixed={
        'optimizer': (
            ('PCDLARS', 0.0, 0.9, 1e-5),
            'main_pcd.py:206 scales lr 1.0 by the per-GPU batch after the division '
            'of :185 (128 // 256 = 0): lr 0 on 8 GPUs; ours is 1.0 x 1024 / 256',
        ),
        'schedule': (
            warm_cosine(10, 100, 0.0, 0.0),
            'pcd/utils.py:59-60 warms up from lr 0 on the integer epoch (epoch 0 '
            'trains at lr 0); ours warms up per iteration from lr x 1e-4',
        ),
        'batch': (
            (8, 1024),
            'main_pcd.py:149-157 builds the loader with -b 1024 per process before '
            ':185 divides it (8192 images per step on 8 GPUs); ours is the intended '
            'global 1024',
        ),
    },
)
PCD_CONFIGS = {
    f'pcd/{name}_8xb128-lars-coslr-100e_in1k.py': PCD_ROW
    for name in (
        'pcd_resnet18_mocov3-resnet50',
        'pcd_resnet34_mocov3-resnet50',
        'pcd_mobilenetv3-large_mocov3-resnet50',
        'pcd-nomhsa_resnet18_mocov3-resnet50',
        'pcd-crossview-grid_resnet18_mocov3-resnet50',
        'pcd-crossview-aligned_resnet18_mocov3-resnet50',
        'pcd-released_resnet18_mocov3-resnet50',
        'pcd_resnet18_barlowtwins-resnet50',
        'pcd_resnet18_mocov3-vit-b16',
    )
}

# Configs that are no recipe of an upstream method, and why they are not in the table.
NOT_RECIPES = {
    'densecl/densecl_resnet18_1xb16-coslr-2e_demo.py': 'CPU smoke test',
    'pixpro/pixpro_resnet18_1xb16-lars-coslr-2e_demo.py': 'CPU smoke test',
    'pcd/pcd_resnet18_mocov3-resnet18_1xb8-lars-coslr-2e_demo.py': 'CPU smoke test',
    'pcd/benchmarks/resnet18_8xb128-linear-coslr-90e_in1k.py': (
        "PCD publishes no linear protocol: mmpretrain's MoCo v3 one"
    ),
}

# Config directory (relative to the repository) -> rows.
TABLE = {
    'projects/maskd/configs': {**MASKD_STAGE1, **MASKD_STAGE2},
    'configs': {**PIXPRO_CONFIGS, **DENSECL_CONFIGS, **PCD_CONFIGS},
}
