"""What a two-view pre-training pipeline feeds the model: both augmented views of a sample,
their crop boxes on the original image, and PixPro's positive cell pairs between them (the
geometry PixPro and PCD train on)."""

from typing import Sequence

import numpy as np
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.patches import Rectangle

from .correspondence import _cell_patches, pair_segments, positive_mask, side_by_side
from .figure import PanelGrid

BOX_COLOURS = ('tab:red', 'tab:cyan')


def draw_view_pair(
    original: np.ndarray,
    views: Sequence[np.ndarray],
    coords: np.ndarray,
    crop_boxes: np.ndarray,
    grid: Sequence[int],
    pos_ratio: float = 0.7,
    panel: int = 256,
) -> PanelGrid:
    """One row: the original with both crop boxes, then the two views side by side with the
    cells that have a positive partner shaded and each positive pair joined.

    Args:
        original: (H, W, 3) uint8 RGB image the views were cropped from.
        views: Two (S, S, 3) uint8 RGB views.
        coords: (2, 4) normalised crop boxes (x entries swapped for a flipped view).
        crop_boxes: (2, 4) the same boxes in original pixels.
        grid: (h, w) of the feature map the positives are computed on.
        pos_ratio: PixPro's threshold, in cell diagonals.
        panel: Panel height in pixels; the PNG is (panel + 24, 3 * panel).
    """
    size = views[0].shape[0]
    gap = max(size // 8, 1)
    positives = positive_mask(coords[0], coords[1], grid, grid, pos_ratio)
    figure = PanelGrid(1, 3, panel)
    ax = figure.panel(0, 0, 'original, crops 1 and 2')
    ax.imshow(original)
    for number, (box, coord, colour) in enumerate(zip(crop_boxes, coords, BOX_COLOURS), 1):
        x0, x1 = sorted(box[[0, 2]])
        y0, y1 = sorted(box[[1, 3]])
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, lw=2, ec=colour))
        flipped = ' (flipped)' if coord[0] > coord[2] else ''
        ax.text(x0 + 2, y0 + 2, f'{number}{flipped}', color=colour, va='top', fontsize=8)
    ax = figure.panel(
        0,
        1,
        f'views 1 and 2: {int(positives.sum())} positive pairs '
        f'(distance < {pos_ratio} cell diagonals, {grid[0]}x{grid[1]} cells)',
        colspan=2,
    )
    ax.imshow(side_by_side(views[0], views[1], gap))
    cells1, cells2 = np.flatnonzero(positives.any(1)), np.flatnonzero(positives.any(0))
    ax.add_collection(
        PatchCollection(
            _cell_patches(cells1, size, grid, 0) + _cell_patches(cells2, size, grid, size + gap),
            facecolor='tab:orange',
            alpha=0.35,
            edgecolor='white',
            linewidth=0.5,
        )
    )
    ax.add_collection(
        LineCollection(
            pair_segments(np.argwhere(positives), size, grid, grid, gap),
            colors='tab:orange',
            linewidths=0.6,
            alpha=0.7,
        )
    )
    return figure
