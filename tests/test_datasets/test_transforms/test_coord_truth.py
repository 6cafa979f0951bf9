"""Truth test: PixPro cell centres computed from ``coord`` land where the pixels came from.

The input image encodes each pixel's own original position (channel 0 = x, channel 1 = y), so
the mean of a feature-map cell's output pixels is the true original position of that cell's
centre. PixPro's formula applied to ``coord`` must reproduce it for every view of a two-view
pipeline with random crops and horizontal, vertical and diagonal flips.

The only inherent disagreement is PixPro's own discretisation: its bins span ``(w - 1) / S``
pixels where the resized cell spans ``w / S``, which moves a centre by less than half a pixel.
"""

from typing import Tuple

import numpy as np
import pytest

from mmpcd.datasets.transforms import MultiViewWithCoord
from mmpcd.utils import register_all_modules

NUM_DRAWS = 200
OUT_SIZE = 64
GRID_SIZES = (7, 8)
CELL_FRACTION = 0.1  # of a cell's size in original pixels


@pytest.fixture(scope='module', autouse=True)
def _mmpcd_scope():
    register_all_modules()


def position_image(width: int, height: int, dtype: type) -> np.ndarray:
    """(H, W, 3) image whose pixel (y, x) holds (x, y, 7)."""
    ys, xs = np.mgrid[0:height, 0:width]
    return np.stack([xs, ys, np.full_like(xs, 7)], axis=-1).astype(dtype)


def cell_weights(size: int, grid: int) -> np.ndarray:
    """(grid, size) share of output pixel i inside cell r = ``[r*size/grid, (r+1)*size/grid)``,
    normalised per cell, so ``W @ values`` is the exact mean over each cell (cells may cut
    pixels when ``size`` is not a multiple of ``grid``)."""
    edges = np.arange(grid + 1) * size / grid
    pixels = np.arange(size)
    lo = np.maximum(edges[:-1, None], pixels[None])
    hi = np.minimum(edges[1:, None], pixels[None] + 1)
    return np.clip(hi - lo, 0, None) / (size / grid)


def measured_centres(view: np.ndarray, grid: int) -> Tuple[np.ndarray, np.ndarray]:
    """Mean encoded (x, y) of each cell of ``view``: two (grid, grid) arrays."""
    rows = cell_weights(view.shape[0], grid)
    cols = cell_weights(view.shape[1], grid)
    view = view.astype(np.float64)
    return rows @ view[..., 0] @ cols.T, rows @ view[..., 1] @ cols.T


def pixpro_centres(
    coord: np.ndarray, ori_shape: Tuple[int, int], grid: int
) -> Tuple[np.ndarray, np.ndarray]:
    """PixPro's cell centres of a (4,) ``coord``, in original pixels: two (grid, grid) arrays
    (x varies along columns, y along rows)."""
    height, width = ori_shape
    x_ul, y_ul, x_lr, y_lr = coord.astype(np.float64)
    bin_w = (x_lr - x_ul) / grid  # negative for horizontally flipped views
    bin_h = (y_lr - y_ul) / grid
    steps = np.arange(grid) + 0.5
    centre_x = (x_ul + steps * bin_w) * (width - 1)
    centre_y = (y_ul + steps * bin_h) * (height - 1)
    return (
        np.broadcast_to(centre_x[None, :], (grid, grid)),
        np.broadcast_to(centre_y[:, None], (grid, grid)),
    )


def two_view_pipeline(backend: str) -> MultiViewWithCoord:
    """View 1 flips horizontally and vertically (independently), view 2 picks one of the three
    directions, so all four orientations occur."""
    crop = dict(
        type='RandomResizedCropWithCoord',
        scale=OUT_SIZE,
        crop_ratio_range=(0.08, 1.0),
        backend=backend,
    )
    view1 = [
        crop,
        dict(type='RandomFlipWithCoord', prob=0.5, direction='horizontal'),
        dict(type='RandomFlipWithCoord', prob=0.5, direction='vertical'),
    ]
    view2 = [
        crop,
        dict(
            type='RandomFlipWithCoord',
            prob=[0.25, 0.25, 0.25],
            direction=['horizontal', 'vertical', 'diagonal'],
        ),
    ]
    return MultiViewWithCoord(transforms=[view1, view2], num_views=[1, 1])


@pytest.mark.parametrize(
    'width,height,dtype,backend,pixel_slack',
    [
        (211, 173, np.float32, 'cv2', 0.6),  # exact values: only the half-pixel discretisation
        (211, 173, np.uint8, 'pillow', 1.0),  # PixPro's setting; uint8 rounding adds ~0.5 px
        # Cells of 3-4 px: a 1 px error (e.g. normalising by W instead of W-1) exceeds tolerance.
        (29, 23, np.float32, 'cv2', 0.6),
    ],
)
def test_cell_centres_from_coord_match_pixel_origins(width, height, dtype, backend, pixel_slack):
    image = position_image(width, height, dtype)
    pipeline = two_view_pipeline(backend)
    flipped = np.zeros(2, dtype=int)  # views flipped in x, in y
    for seed in range(NUM_DRAWS):
        np.random.seed(seed)
        results = pipeline(dict(img=image.copy()))
        assert results['coord_ori_shape'] == (height, width)
        for view, coord, box in zip(results['img'], results['coord'], results['crop_box']):
            flipped += [coord[0] > coord[2], coord[1] > coord[3]]
            for grid in GRID_SIZES:
                cell_w = (abs(box[2] - box[0]) + 1) / grid  # cell size in original pixels
                cell_h = (abs(box[3] - box[1]) + 1) / grid
                true_x, true_y = measured_centres(view, grid)
                pred_x, pred_y = pixpro_centres(coord, results['coord_ori_shape'], grid)
                np.testing.assert_array_less(
                    np.abs(pred_x - true_x),
                    CELL_FRACTION * cell_w + pixel_slack,
                    err_msg=f'x centres, seed {seed}, grid {grid}, coord {coord}',
                )
                np.testing.assert_array_less(
                    np.abs(pred_y - true_y),
                    CELL_FRACTION * cell_h + pixel_slack,
                    err_msg=f'y centres, seed {seed}, grid {grid}, coord {coord}',
                )
    # Both flip axes were exercised often enough for the check to mean something.
    assert (flipped > 0.25 * NUM_DRAWS).all(), flipped
