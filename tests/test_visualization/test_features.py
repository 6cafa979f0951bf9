"""visualize_features.py: its doc command, and PCA colours that follow the features."""

import os.path as osp

import numpy as np
import torch

from mmpcd.visualization import build_feature_model, list_images, load_folder, pca_rgb, to_tensor

from .helpers import PIXPRO, assert_png, doc_commands, in_work_dir, load_tool

PANEL, TITLE = 96, 24


def test_doc_command_writes_one_png_per_image(demo_work_dirs):
    argv = in_work_dir(doc_commands('visualize_features.py')[0], demo_work_dirs)
    written = load_tool('visualize_features.py').main(
        argv + ['--size', '64', '--num-images', '2', '--panel', str(PANEL)]
    )
    names = [
        osp.splitext(osp.basename(path))[0] + '.png' for path in list_images('data/demo/images', 2)
    ]
    assert [osp.basename(path) for path in written] == names
    for path in written:
        assert path.startswith(f'{demo_work_dirs}/vis/pca/')
        assert_png(path, PANEL + TITLE, 2 * PANEL)


def test_pca_of_real_features_is_rgb_over_the_full_range_and_differs_across_images():
    model = build_feature_model(PIXPRO)
    _, images = load_folder('data/demo/images', 128, limit=3)
    feats = model.features(model.preprocess(to_tensor(images)), 'backbone.layer3')
    rgbs = [pca_rgb(feat) for feat in feats]
    for rgb in rgbs:
        assert rgb.shape == (8, 8, 3) and rgb.dtype == np.uint8
        # Mid-grey is the mean feature; the largest projection reaches an end of 0-255.
        assert rgb.min() == 0 or rgb.max() == 255
        assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 32
    for i in range(3):
        for j in range(i + 1, 3):
            assert np.abs(rgbs[i].astype(int) - rgbs[j]).mean() > 10


def test_pca_colours_group_cells_of_alike_features():
    """Three regions with their own feature vectors (plus a little noise) get three distinct
    colours, uniform within each region."""
    generator = torch.Generator().manual_seed(0)
    prototypes = torch.randn(3, 32, generator=generator)
    regions = torch.zeros(6, 6, dtype=torch.long)
    regions[:, 3:] = 1
    regions[4:, :] = 2
    feat = prototypes[regions].permute(2, 0, 1) + 0.01 * torch.randn(32, 6, 6, generator=generator)
    rgb = pca_rgb(feat).astype(int)
    colours = [rgb[regions.numpy() == r] for r in range(3)]
    for colour in colours:
        assert np.ptp(colour, axis=0).max() <= 6
    means = [colour.mean(0) for colour in colours]
    for i in range(3):
        for j in range(i + 1, 3):
            assert np.abs(means[i] - means[j]).max() > 100
    # No variation, no colour.
    assert (pca_rgb(torch.ones(8, 4, 4)) == 128).all()
