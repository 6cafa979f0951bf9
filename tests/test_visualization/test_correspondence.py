"""visualize_correspondence.py: its doc command, and lines that join the cells DenseCL's
matching and PixPro's geometry pair."""

import numpy as np
import pytest
import torch
from matplotlib import colormaps
from matplotlib.collections import LineCollection, PatchCollection

from mmpcd.ops import dense_argmax_match
from mmpcd.visualization import View, draw_correspondence, load_square, positive_mask, sample_views
from mmpcd.visualization.correspondence import SIMILARITY_CMAP

from .helpers import assert_png, doc_commands, in_work_dir, load_tool

PANEL, TITLE = 96, 24
SIZE, GRID = 64, 4  # 64 px views, 4 x 4 maps: 16 px cells
GAP = SIZE // 8  # between the two views on the canvas


def test_doc_command_draws_both_rows(demo_work_dirs):
    argv = in_work_dir(doc_commands('visualize_correspondence.py')[0], demo_work_dirs)
    load_tool('visualize_correspondence.py').main(argv + ['--size', '64', '--panel', str(PANEL)])
    assert_png(f'{demo_work_dirs}/vis/correspondence.png', 2 * (PANEL + TITLE), 3 * PANEL)


def synthetic_views(coord1, coord2):
    blank = np.zeros((SIZE, SIZE, 3), dtype=np.uint8)
    return tuple(
        View(blank, np.array(c, dtype=np.float32), np.array(c, dtype=np.float32) * 99)
        for c in (coord1, coord2)
    )


def cell_of(point, right_view: bool) -> int:
    """Row-major cell under a canvas point (x, y), computed from the canvas geometry."""
    x, y = point
    if right_view:
        x -= SIZE + GAP
    assert 0 <= x < SIZE and 0 <= y < SIZE
    col, row = int(x // (SIZE / GRID)), int(y // (SIZE / GRID))
    assert np.allclose((x, y), ((col + 0.5) * SIZE / GRID, (row + 0.5) * SIZE / GRID))  # centres
    return row * GRID + col


def lines(axes, index: int) -> np.ndarray:
    return np.array(
        [c for c in axes.collections if isinstance(c, LineCollection)][index].get_segments()
    )


@pytest.mark.parametrize('case', ['mirrored', 'random'])
def test_densecl_lines_join_the_cells_dense_argmax_match_pairs(case):
    """Mirrored features must be matched to the mirrored cell; random ones to whatever
    ``dense_argmax_match`` picks: every line runs from cell i of view 1 to its match."""
    generator = torch.Generator().manual_seed(0)
    feat1 = torch.randn(8, GRID, GRID, generator=generator)
    feat2 = (
        feat1.flip(-1) if case == 'mirrored' else torch.randn(8, GRID, GRID, generator=generator)
    )
    views = synthetic_views([0, 0, 1, 1], [0, 0, 1, 1])
    figure = draw_correspondence(views, (feat1, feat2), None, panel=PANEL)
    densecl = figure.figure.axes[0]
    segments = lines(densecl, 0)
    assert len(segments) == GRID * GRID
    pairs = [(cell_of(a, False), cell_of(b, True)) for a, b in segments]
    matched = dense_argmax_match(feat1[None], feat2[None])[0].tolist()
    assert pairs == list(enumerate(matched))
    if case == 'mirrored':
        assert pairs == [(i, i // GRID * GRID + GRID - 1 - i % GRID) for i in range(GRID**2)]
    colours = [c for c in densecl.collections if isinstance(c, LineCollection)][0].get_colors()
    cmap = colormaps[SIMILARITY_CMAP]
    if case == 'mirrored':
        assert np.allclose(colours, cmap(1.0))  # all perfect matches (cosine 1)
        return
    # Coloured by cosine similarity: the colour map's ends at the best and worst match.
    cosine = torch.nn.functional.cosine_similarity(
        feat1.flatten(1), feat2.flatten(1)[:, matched], dim=0
    )
    assert np.allclose(colours[int(cosine.argmax())], cmap(1.0))
    assert np.allclose(colours[int(cosine.argmin())], cmap(0.0))


def test_pixpro_positives_of_identical_views_join_each_cell_to_itself():
    views = synthetic_views([0, 0, 1, 1], [0, 0, 1, 1])
    feat = torch.randn(8, GRID, GRID)
    figure = draw_correspondence(views, (feat, feat), None, panel=PANEL)
    pixpro = figure.figure.axes[-1]
    assert [(cell_of(a, False), cell_of(b, True)) for a, b in lines(pixpro, 0)] == [
        (i, i) for i in range(GRID**2)
    ]
    shaded = [c for c in pixpro.collections if isinstance(c, PatchCollection)][0]
    assert len(shaded.get_paths()) == 2 * GRID**2


def test_pixpro_positives_of_half_overlapping_views():
    """View 2 is view 1 shifted right by half its width: the right half of view 1 pairs with
    the left half of view 2, cell by cell."""
    views = synthetic_views([0, 0, 0.5, 0.5], [0.25, 0, 0.75, 0.5])
    feat = torch.randn(8, GRID, GRID)
    pixpro = draw_correspondence(views, (feat, feat), None, panel=PANEL).figure.axes[-1]
    pairs = sorted((cell_of(a, False), cell_of(b, True)) for a, b in lines(pixpro, 0))
    assert pairs == [(r * GRID + c, r * GRID + c - 2) for r in range(GRID) for c in (2, 3)]


def test_sampled_views_overlap_and_are_reproducible():
    image = load_square('data/demo/images/astronaut_c0.jpg', 128)
    state = np.random.get_state()
    first = sample_views(image, SIZE, (0.1, 0.3), seed=3, grid=(GRID, GRID))
    assert np.array_equal(np.random.get_state()[1], state[1])  # global numpy state untouched
    assert positive_mask(first[0].coord, first[1].coord, (GRID, GRID), (GRID, GRID)).any()
    again = sample_views(image, SIZE, (0.1, 0.3), seed=3, grid=(GRID, GRID))
    for view, twin in zip(first, again):
        assert view.image.shape == (SIZE, SIZE, 3)
        assert np.array_equal(view.image, twin.image) and np.array_equal(view.coord, twin.coord)
