"""Effective receptive field (ERF): how much each input pixel moves the centre output pixel.

Luo et al. (NeurIPS 2016); drawn as in RepLKNet and PCD's Figure 4: the gradient of the
centre pixel of a feature map (summed over channels) with respect to the input, absolute
value summed over the colour channels, averaged over images, normalised to sum to one.
"""

from typing import Callable, Dict, Sequence, Tuple

import numpy as np
import torch
from matplotlib.patches import Rectangle
from torch import Tensor

from .figure import PanelGrid

FeatureFn = Callable[[Tensor], Tensor]


def effective_receptive_field(
    features: FeatureFn, inputs: Tensor, batch_size: int = 8
) -> Tuple[Tensor, Tuple[int, int]]:
    """ERF of the centre pixel of ``features(inputs)``.

    Args:
        features: Maps normalised inputs (N, 3, H, W) to (N, C, h, w). It must treat images
            independently (BatchNorm in eval mode), so that one backward pass over the summed
            centre pixels gives every image its own gradient.
        inputs: (N, 3, H, W) normalised images.
        batch_size: Images per forward/backward pass.

    Returns:
        The (H, W) float64 map, non-negative, summing to 1, and the (h, w) of the features.
    """
    total = torch.zeros(inputs.shape[-2:], dtype=torch.float64)
    for start in range(0, inputs.size(0), batch_size):
        x = inputs[start : start + batch_size].clone().requires_grad_(True)
        with torch.enable_grad():
            out = features(x)
            height, width = out.shape[-2:]
            out[:, :, height // 2, width // 2].sum().backward()
        total += x.grad.abs().sum(dim=1).sum(dim=0).double()
    if total.sum() <= 0:
        raise ValueError(
            'the centre output pixel does not depend on the input (all gradients '
            'are zero); check the layer and the weights.'
        )
    return total / total.sum(), (height, width)


def erf_centroid(erf: Tensor) -> Tensor:
    """(y, x) in pixels of the ERF's centre of mass, the centre the widths are measured from.

    Not the cell's geometric centre (a padded stride-s network centres output cell i at
    input pixel s * i, not in the cell's middle) and not the peak (undefined for the flat
    fields of collapsed or attention-mixed features).
    """
    ys = torch.arange(erf.size(0), dtype=erf.dtype)
    xs = torch.arange(erf.size(1), dtype=erf.dtype)
    total = erf.sum()
    return torch.stack([(erf.sum(1) * ys).sum() / total, (erf.sum(0) * xs).sum() / total])


def erf_widths(erf: Tensor, centre: Tensor, window: int, mass: float = 0.5) -> Dict[str, float]:
    """Two measures of how spread out an ERF is around ``centre``.

    Args:
        erf: (H, W) map summing to 1.
        centre: (y, x) in pixels, see :func:`erf_centroid`.
        window: Side in pixels of a square centred on ``centre``.
        mass: Share of the ERF the radius must enclose.

    Returns:
        ``outside``: share of the ERF outside the window; ``radius``: radius in pixels of the
        smallest disc around ``centre`` that holds ``mass`` of the ERF.
    """
    height, width = erf.shape
    ys = torch.arange(height, dtype=torch.float64)[:, None] - centre[0]
    xs = torch.arange(width, dtype=torch.float64)[None, :] - centre[1]
    inside = (ys.abs() < window / 2) & (xs.abs() < window / 2)
    distance = torch.sqrt(ys**2 + xs**2).flatten()
    order = distance.argsort()
    cumulative = erf.flatten()[order].cumsum(0)
    index = int(torch.searchsorted(cumulative, torch.tensor(mass, dtype=cumulative.dtype)))
    return dict(
        outside=float(erf[~inside].sum()),
        radius=float(distance[order][min(index, distance.numel() - 1)]),
    )


def erf_image(erf: Tensor, scale: str = 'log') -> np.ndarray:
    """(H, W) ERF -> (H, W) display values in [0, 1]: ``erf / max`` (``'linear'``), or its
    log over three decades (``'log'``), which keeps the faint tails of deep nets visible."""
    relative = (erf / erf.max()).numpy()
    if scale == 'linear':
        return relative
    if scale == 'log':
        return np.log10(1 + 999 * relative) / 3
    raise ValueError(f'unknown ERF scale {scale!r}; expected "linear" or "log".')


def draw_erfs(
    erfs: Sequence[Tuple[str, Tensor, Tensor, Dict[str, float]]],
    window: int,
    scale: str = 'log',
    panel: int = 256,
    title_px: int = 40,
) -> PanelGrid:
    """One panel per model, side by side: its ERF, the window of ``outside`` dashed.

    Args:
        erfs: ``(label, erf (H, W), centre (y, x), widths from erf_widths)`` per model.
        window: Side of the window in pixels.
        scale: See :func:`erf_image`.
        panel: Panel side; the PNG is ``(panel + title_px, len(erfs) * panel)``.
        title_px: Height of the two-line title band.
    """
    figure = PanelGrid(1, len(erfs), panel, title_px, fontsize=9)
    for col, (label, erf, centre, widths) in enumerate(erfs):
        ax = figure.panel(
            col=col,
            row=0,
            title=f'{label}\nr50 {widths["radius"]:.0f} px, '
            f'{100 * widths["outside"]:.0f}% outside {window} px',
        )
        ax.imshow(erf_image(erf, scale), cmap='magma', vmin=0, vmax=1)
        y, x = float(centre[0]), float(centre[1])
        ax.add_patch(
            Rectangle(
                (x - window / 2, y - window / 2),
                window,
                window,
                fill=False,
                ec='white',
                ls='--',
                lw=1,
            )
        )
    return figure
