"""PCA of a feature map to RGB: its three main directions of variation as colours (PCD's
Figure 5). Cells with similar features get similar colours, so the picture shows which
regions the layer groups together."""

import numpy as np
import torch
from torch import Tensor

from .figure import PanelGrid


def pca_rgb(feat: Tensor) -> np.ndarray:
    """Project the cells of one map on its top-3 principal components, as RGB.

    All three components share one scale, ``127.5 + 127.5 * p / max|p|`` (the first, largest
    component reaches 0 or 255): stretching each to its own range would paint a component
    that is mostly noise (a map with two real directions) in full contrast. The sign of each
    component is fixed (its largest projection is positive), so colours do not flip at random
    between runs. Missing components (maps of fewer than 4 cells or channels) stay at 127.5.

    Args:
        feat: (C, h, w) features of one image.

    Returns:
        (h, w, 3) uint8.
    """
    if feat.dim() != 3:
        raise ValueError(f'pca_rgb takes one (C, h, w) map, got {tuple(feat.shape)}.')
    _, height, width = feat.shape
    cells = feat.detach().flatten(1).t().double()  # (h*w, C)
    cells = cells - cells.mean(dim=0)
    _, _, vh = torch.linalg.svd(cells, full_matrices=False)
    proj = cells @ vh[:3].t()  # (h*w, k), k = min(3, h*w, C)
    peak = proj.gather(0, proj.abs().argmax(dim=0, keepdim=True))
    proj = proj * torch.where(peak < 0, -1.0, 1.0)
    rgb = torch.zeros(height * width, 3, dtype=torch.float64)
    rgb[:, : proj.size(1)] = proj
    scale = float(rgb.abs().max())
    # Relative threshold: a map of identical cells leaves rounding noise, not a direction.
    if scale <= 1e-9 * max(float(cells.abs().max()), 1e-30):
        rgb.zero_()
    else:
        rgb /= scale
    rgb = 127.5 + 127.5 * rgb
    return rgb.view(height, width, 3).round().clamp(0, 255).to(torch.uint8).numpy()


def draw_pca(
    image: np.ndarray, rgb: np.ndarray, layer: str, panel: int = 256, title_px: int = 24
) -> PanelGrid:
    """The input next to the PCA colours of its ``layer`` features (nearest upsampling, so
    each feature cell stays a visible block).

    Args:
        image: (H, W, 3) uint8 input.
        rgb: (h, w, 3) uint8 from :func:`pca_rgb`.
        layer: Layer name, for the title.
        panel: Panel side; the PNG is ``(panel + title_px, 2 * panel)``.
        title_px: Height of the title band.
    """
    figure = PanelGrid(1, 2, panel, title_px)
    figure.panel(0, 0, 'input').imshow(image)
    height, width = rgb.shape[:2]
    figure.panel(0, 1, f'{layer} PCA ({height}x{width})').imshow(rgb, interpolation='nearest')
    return figure
