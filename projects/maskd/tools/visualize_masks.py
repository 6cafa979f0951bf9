"""Draw the receptive-token masks of a MasKD teacher per level (MasKD's Figure 1).

``python projects/maskd/tools/visualize_masks.py STAGE1_CONFIG TOKENS --image IMG --out PNG
[--teacher-ckpt CKPT] [--size 256] [--panel 160]``

The stage-1 config names the teacher (``model.teacher``) and the module the tokens act on
(``model.module``: the FPN ``neck`` of a detector, or ``decode_head.conv_seg`` of a
segmentor). The teacher runs on one image, with the checkpoint ``--teacher-ckpt`` names, else
the one recorded in the token file by stage 1, else the config's ``model.teacher_ckpt``. Each
token's mask ``sigmoid(e_t . F)`` of each level is drawn over the image: one row per level,
the image and then one panel per token, titled with the token's weight ``p_t`` when the
tokens have the weighting branch.
"""

import argparse
import os.path as osp
import sys
from typing import List, Optional, Sequence, Tuple

import mmcv
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from torch import Tensor

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='stage-1 (MaskLearner) config')
    parser.add_argument('tokens', help='token file (maskd_tokens.pth or a converted release)')
    parser.add_argument('--image', required=True, help='image to run the teacher on')
    parser.add_argument('--out', required=True, help='PNG to write')
    parser.add_argument(
        '--teacher-ckpt',
        help='default: the teacher recorded in the token '
        "file, else the config's model.teacher_ckpt",
    )
    parser.add_argument('--size', type=int, default=256, help='square input side in pixels')
    parser.add_argument('--panel', type=int, default=160, help='panel side in pixels')
    parser.add_argument(
        '--trust',
        action='store_true',
        help='read the teacher checkpoint and the tokens with full unpickling '
        '(runs code the files name): only for files you trust',
    )
    return parser.parse_args(argv)


def preprocess(teacher: torch.nn.Module, path: str, size: int) -> Tuple:
    """The image as the teacher's data preprocessor would feed it: (1, 3, size, size), plus
    the RGB image (size, size, 3) uint8 for drawing."""
    bgr = mmcv.imresize(mmcv.imread(path), (size, size))
    rgb = mmcv.bgr2rgb(bgr)
    preprocessor = teacher.data_preprocessor
    image = rgb if getattr(preprocessor, '_channel_conversion', False) else bgr
    x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float()[None]
    if getattr(preprocessor, '_enable_normalize', False):
        x = (x - preprocessor.mean) / preprocessor.std
    return x, rgb


@torch.no_grad()
def token_inputs(teacher: torch.nn.Module, module: str, x: Tensor) -> List[Tensor]:
    """The output(s) of ``teacher``'s ``module`` on ``x``: the FPN levels of a detector's
    neck, or a segmentor's logits (one level)."""
    captured: List[Tensor] = []
    handle = teacher.get_submodule(module).register_forward_hook(
        lambda _m, _i, out: captured.extend(out if isinstance(out, (tuple, list)) else [out])
    )
    try:
        feats = teacher.extract_feat(x)
        if not captured and hasattr(teacher, 'decode_head'):
            teacher.decode_head(feats)
    finally:
        handle.remove()
    if not captured:
        raise ValueError(
            f'the teacher never ran its {module!r}; check model.module of the stage-1 config.'
        )
    return captured


def draw(
    rgb: np.ndarray, masks: List[Tensor], weights: List[Optional[Tensor]], out: str, panel: int
) -> None:
    """One row per level: the image, then each token's mask (N=1) upsampled over it."""
    from mmpcd.visualization.figure import PanelGrid

    num_tokens = max(m.size(1) for m in masks)
    grid = PanelGrid(len(masks), num_tokens + 1, panel)
    size = rgb.shape[:2]
    for level, (level_masks, level_weights) in enumerate(zip(masks, weights)):
        grid.panel(level, 0, f'level {level} {tuple(level_masks.shape[2:])}').imshow(rgb)
        upsampled = F.interpolate(level_masks, size=size, mode='bilinear', align_corners=False)[0]
        for token in range(level_masks.size(1)):
            title = f'token {token}'
            if level_weights is not None:
                title += f' p={float(level_weights[0, token]):.2f}'
            ax = grid.panel(level, token + 1, title)
            ax.imshow(rgb)
            ax.imshow(upsampled[token].numpy(), cmap='jet', alpha=0.5, vmin=0.0, vmax=1.0)
    grid.save(out)


def recorded_teacher(tokens: str, trust: bool) -> Optional[str]:
    """The teacher checkpoint stage 1 recorded in the token file (``meta['maskd']``), if
    any: the tokens were learned on that teacher, wherever its run was written."""
    from mmpcd.utils.checkpoint import read_checkpoint

    meta = read_checkpoint(tokens, trust=trust, switch='--trust').get('meta') or {}
    return (meta.get('maskd') or {}).get('teacher_ckpt')


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    from mmpcd.utils import register_all_modules
    from projects.maskd.maskd.tokens import build_mask_modules, load_tokens
    from projects.maskd.maskd.utils import build_model, load_teacher_checkpoint

    register_all_modules()
    cfg = Config.fromfile(args.config)
    if cfg.model.get('type') != 'MaskLearner':
        sys.exit(f'error: {args.config} is not a stage-1 (MaskLearner) config.')
    teacher_ckpt = (
        args.teacher_ckpt or recorded_teacher(args.tokens, args.trust) or cfg.model.teacher_ckpt
    )
    if not teacher_ckpt:
        sys.exit(
            f'error: {args.tokens} records no teacher checkpoint and the config sets '
            'none: pass --teacher-ckpt CKPT.'
        )
    teacher = build_model(cfg.model.teacher).eval()
    load_teacher_checkpoint(teacher, teacher_ckpt, args.trust, '--trust')
    print(f'teacher: {teacher_ckpt}')
    mask_modules = build_mask_modules(load_tokens(args.tokens, args.trust, '--trust')).eval()
    x, rgb = preprocess(teacher, args.image, args.size)
    feats = token_inputs(teacher, cfg.model.get('module', 'neck'), x)
    if len(feats) != len(mask_modules):
        sys.exit(
            f'error: the tokens have {len(mask_modules)} levels but the teacher\'s '
            f'{cfg.model.get("module", "neck")} gives {len(feats)}.'
        )
    with torch.no_grad():
        masks = [m.forward_mask(f) for m, f in zip(mask_modules, feats)]
        weights = [
            m.forward_prob(f) if m.weight_mask else None for m, f in zip(mask_modules, feats)
        ]
    draw(rgb, masks, weights, args.out, args.panel)
    print(f'wrote {args.out}: {len(masks)} levels x {masks[0].size(1)} tokens')


if __name__ == '__main__':
    main()
