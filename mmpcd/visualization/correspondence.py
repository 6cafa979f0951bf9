"""Which cells of two views of an image are paired: DenseCL's feature matches and PixPro's
geometric positives, drawn on the views.

- DenseCL pairs each cell of view 1 with the most similar cell of view 2 (cosine of the
  backbone features, :func:`mmpcd.ops.dense_argmax_match`), whatever the geometry.
- PixPro pairs cells whose centres, mapped back to the original image through the crop boxes
  (``coord``), are closer than ``pos_ratio`` cell diagonals (:func:`mmpcd.ops.coord_positive_mask`).
"""

from typing import List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
from matplotlib import cm, colormaps
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.colors import Normalize
from matplotlib.patches import Rectangle
from torch import Tensor

from mmpcd.ops import coord_positive_mask, dense_argmax_match

from .figure import PanelGrid

SIMILARITY_CMAP = 'viridis'


class View(NamedTuple):
    """One augmented view: ``image`` (S, S, 3) uint8 RGB, ``coord`` (4,) normalised crop box
    (x entries swapped when flipped), ``crop_box`` (4,) the same box in original pixels."""

    image: np.ndarray
    coord: np.ndarray
    crop_box: np.ndarray


def sample_views(
    image: np.ndarray,
    size: int,
    scale_range: Tuple[float, float] = (0.2, 1.0),
    flip_prob: float = 0.5,
    seed: int = 0,
    grid: Tuple[int, int] = (7, 7),
    pos_ratio: float = 0.7,
    max_tries: int = 100,
) -> Tuple[View, View]:
    """Two views of ``image`` from ``RandomResizedCropWithCoord`` and ``RandomFlipWithCoord``
    (the pipelines' own transforms), re-drawn until they share a PixPro positive pair.

    Args:
        image: (H, W, 3) uint8 RGB original.
        size: Side of the square views.
        scale_range: Crop area range, as a fraction of the image.
        flip_prob: Horizontal flip probability of each view.
        seed: Numpy seed of the draws (numpy's global state is restored afterwards).
        grid: (h, w) of the feature maps, for the overlap test.
        pos_ratio: PixPro's distance threshold, for the overlap test.
        max_tries: Pairs drawn before giving up.
    """
    from mmpcd.datasets.transforms import RandomFlipWithCoord, RandomResizedCropWithCoord

    crop = RandomResizedCropWithCoord(
        scale=size, crop_ratio_range=scale_range, backend='pillow', interpolation='bilinear'
    )
    flip = RandomFlipWithCoord(prob=flip_prob, direction='horizontal')
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        for _ in range(max_tries):
            views = tuple(flip(crop(dict(img=image.copy()))) for _ in range(2))
            views = tuple(View(v['img'], v['coord'], v['crop_box']) for v in views)
            if positive_mask(views[0].coord, views[1].coord, grid, grid, pos_ratio).any():
                return views
    finally:
        np.random.set_state(state)
    raise ValueError(
        f'{max_tries} pairs of crops with scale {scale_range} never overlapped; '
        'widen the scale range.'
    )


def positive_mask(
    coord1: np.ndarray,
    coord2: np.ndarray,
    grid1: Sequence[int],
    grid2: Sequence[int],
    pos_ratio: float = 0.7,
) -> np.ndarray:
    """PixPro's positives between the cells of two views, (h1*w1, h2*w2) bool."""
    mask = coord_positive_mask(
        torch.as_tensor(coord1, dtype=torch.float32)[None],
        torch.as_tensor(coord2, dtype=torch.float32)[None],
        grid1,
        grid2,
        pos_ratio=pos_ratio,
    )
    return mask[0].numpy()


def densecl_matches(feat1: Tensor, feat2: Tensor) -> Tuple[np.ndarray, np.ndarray]:
    """DenseCL's match of every cell of view 1 in view 2.

    Args:
        feat1: (C, h1, w1) features of view 1.
        feat2: (C, h2, w2) features of view 2.

    Returns:
        ``index`` (h1*w1,) int64 into the row-major cells of view 2, and ``similarity``
        (h1*w1,) the cosine of each matched pair.
    """
    index = dense_argmax_match(feat1[None], feat2[None])[0]
    q = torch.nn.functional.normalize(feat1.flatten(1), dim=0)
    k = torch.nn.functional.normalize(feat2.flatten(1), dim=0)
    similarity = (q * k[:, index]).sum(dim=0)
    return index.numpy(), similarity.numpy()


def cell_centres_px(size: int, grid: Sequence[int], offset_x: float = 0.0) -> np.ndarray:
    """Pixel centres (x, y) of the row-major cells of an (h, w) map over an S x S view,
    (h*w, 2), shifted right by ``offset_x``."""
    height, width = grid
    ys, xs = np.meshgrid(
        (np.arange(height) + 0.5) * size / height,
        (np.arange(width) + 0.5) * size / width,
        indexing='ij',
    )
    return np.stack([xs.ravel() + offset_x, ys.ravel()], axis=1)


def pair_segments(
    pairs: np.ndarray, size: int, grid1: Sequence[int], grid2: Sequence[int], gap: int
) -> np.ndarray:
    """Line segments, (P, 2, 2) of (x, y), from cell ``pairs[:, 0]`` of view 1 to cell
    ``pairs[:, 1]`` of view 2 drawn ``gap`` pixels to its right."""
    start = cell_centres_px(size, grid1)[pairs[:, 0]]
    end = cell_centres_px(size, grid2, offset_x=size + gap)[pairs[:, 1]]
    return np.stack([start, end], axis=1)


def side_by_side(view1: np.ndarray, view2: np.ndarray, gap: int) -> np.ndarray:
    """(S, 2S + gap, 3) canvas of the two views on white."""
    size = view1.shape[0]
    canvas = np.full((size, 2 * size + gap, 3), 255, dtype=np.uint8)
    canvas[:, :size], canvas[:, size + gap :] = view1, view2
    return canvas


def _cell_patches(
    cells: np.ndarray, size: int, grid: Sequence[int], offset_x: float
) -> List[Rectangle]:
    height, width = grid
    cell_w, cell_h = size / width, size / height
    return [
        Rectangle(((c % width) * cell_w + offset_x, (c // width) * cell_h), cell_w, cell_h)
        for c in cells
    ]


def draw_correspondence(
    views: Tuple[View, View],
    feats: Tuple[Tensor, Tensor],
    original: Optional[np.ndarray] = None,
    pos_ratio: float = 0.7,
    panel: int = 256,
    title_px: int = 24,
) -> PanelGrid:
    """Figure of 2 x 3 panels: the original with both crop boxes and a similarity colour
    bar (left), DenseCL matches (top right) and PixPro positives (bottom right).

    Args:
        views: The two views (same square size S).
        feats: Their (C, h, w) feature maps.
        original: (H, W, 3) image the views were cropped from, or None to leave it out.
        pos_ratio: PixPro's distance threshold.
        panel: Panel side in pixels; the PNG is (2 * (panel + title_px), 3 * panel).
        title_px: Height of the title bands.
    """
    size = views[0].image.shape[0]
    gap = max(size // 8, 1)
    grid1, grid2 = tuple(feats[0].shape[1:]), tuple(feats[1].shape[1:])
    index, similarity = densecl_matches(*feats)
    positives = positive_mask(views[0].coord, views[1].coord, grid1, grid2, pos_ratio)
    matched_positive = positives[np.arange(index.size), index].mean()
    canvas = side_by_side(views[0].image, views[1].image, gap)
    figure = PanelGrid(2, 3, panel, title_px)

    if original is not None:
        ax = figure.panel(0, 0, 'original, crops 1 and 2')
        ax.imshow(original)
        for number, (view, colour) in enumerate(zip(views, ('tab:red', 'tab:cyan')), 1):
            x0, x1 = sorted(view.crop_box[[0, 2]])
            y0, y1 = sorted(view.crop_box[[1, 3]])
            ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, lw=2, ec=colour))
            flipped = ' (flipped)' if view.coord[0] > view.coord[2] else ''
            ax.text(x0 + 2, y0 + 2, f'{number}{flipped}', color=colour, va='top', fontsize=8)

    # The observed range (features of one network are often all alike, cosines near 1);
    # cosine's full range when all matches are equally good.
    low, high = float(similarity.min()), float(similarity.max())
    norm = Normalize(low, high) if high - low > 1e-4 else Normalize(-1.0, 1.0)
    ax = figure.panel(
        0,
        1,
        f'DenseCL matches, view 1 -> 2 ({100 * matched_positive:.0f}% are PixPro positives)',
        colspan=2,
    )
    ax.imshow(canvas)
    pairs = np.stack([np.arange(index.size), index], axis=1)
    ax.add_collection(
        LineCollection(
            pair_segments(pairs, size, grid1, grid2, gap),
            colors=colormaps[SIMILARITY_CMAP](norm(similarity)),
            linewidths=1.2,
        )
    )

    cax = figure.panel(
        1, 0, 'cosine similarity', margins=(panel * 0.45, 12, panel * 0.45, 12), axis=True
    )
    figure.figure.colorbar(cm.ScalarMappable(norm, SIMILARITY_CMAP), cax=cax)

    ax = figure.panel(
        1,
        1,
        f'PixPro positives (distance < {pos_ratio} cell diagonals): {int(positives.sum())} pairs',
        colspan=2,
    )
    ax.imshow(canvas)
    cells1, cells2 = np.flatnonzero(positives.any(1)), np.flatnonzero(positives.any(0))
    ax.add_collection(
        PatchCollection(
            _cell_patches(cells1, size, grid1, 0) + _cell_patches(cells2, size, grid2, size + gap),
            facecolor='tab:orange',
            alpha=0.35,
            edgecolor='white',
            linewidth=0.5,
        )
    )
    segments = pair_segments(np.argwhere(positives), size, grid1, grid2, gap)
    ax.add_collection(LineCollection(segments, colors='tab:orange', linewidths=0.6, alpha=0.7))
    return figure
