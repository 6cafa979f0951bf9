"""pixpro_loss and pixcontrast_loss against straightforward loops over cell pairs."""

import math

import pytest
import torch

from mmpcd.models.losses import pixcontrast_loss, pixpro_loss
from tests.test_ops.helpers import disjoint_pair, overlapping_pair, random_coord


def _centres(coord, height, width):
    """Cell centres [(x, y)] of one view, row-major, and its cell diagonal, computed
    directly from the official definition."""
    bin_w = (coord[2] - coord[0]) / width
    bin_h = (coord[3] - coord[1]) / height
    centres = [
        (coord[0] + (s + 0.5) * bin_w, coord[1] + (r + 0.5) * bin_h)
        for r in range(height)
        for s in range(width)
    ]
    return centres, math.hypot(bin_w, bin_h)


def _distances(coord_q, coord_k, size_q, size_k):
    centres_q, diag_q = _centres(coord_q.tolist(), *size_q)
    centres_k, diag_k = _centres(coord_k.tolist(), *size_k)
    norm = max(diag_q, diag_k)
    return [[math.dist(a, b) / norm for b in centres_k] for a in centres_q]


def _cos(a, b):
    return float(torch.dot(a, b) / (a.norm() * b.norm()))


def loop_pixpro(pred, target, coord_q, coord_k, pos_ratio):
    total = 0.0
    for n in range(pred.size(0)):
        p, t = pred[n].flatten(1), target[n].flatten(1)
        dist = _distances(coord_q[n], coord_k[n], pred.shape[2:], target.shape[2:])
        acc, count = 0.0, 0
        for i, row in enumerate(dist):
            for j, d in enumerate(row):
                if d < pos_ratio:
                    acc += _cos(p[:, i], t[:, j])
                    count += 1
        total += acc / (count + 1e-6)
    return -2 * total / pred.size(0)


def loop_pixcontrast(query, key, coord_q, coord_k, pos_ratio, neg_ratio, tau):
    total = 0.0
    for n in range(query.size(0)):
        q, k = query[n].flatten(1), key[n].flatten(1)
        dist = _distances(coord_q[n], coord_k[n], query.shape[2:], key.shape[2:])
        terms = []
        for i, row in enumerate(dist):
            pos = [
                math.exp(_cos(q[:, i], k[:, j]) / tau) for j, d in enumerate(row) if d < pos_ratio
            ]
            neg = [
                math.exp(_cos(q[:, i], k[:, j]) / tau) for j, d in enumerate(row) if d >= neg_ratio
            ]
            if pos:
                terms.append(-math.log(sum(pos) / (sum(pos) + sum(neg))))
        total += sum(terms) / len(terms) if terms else 0.0
    return total / query.size(0)


def _coords(kind, num, generator):
    if kind == 'overlapping':
        return overlapping_pair(num, generator)
    if kind == 'disjoint':
        return disjoint_pair(num)
    return random_coord(num, generator), random_coord(num, generator)


@pytest.mark.parametrize('kind', ['overlapping', 'random', 'disjoint'])
@pytest.mark.parametrize('sizes', [((4, 4), (4, 4)), ((3, 5), (4, 2))])
def test_pixpro_loss_equals_the_loop(kind, sizes):
    gen = torch.Generator().manual_seed(len(kind) * 10 + sizes[0][1])
    num = 3
    pred = torch.randn(num, 6, *sizes[0], generator=gen, dtype=torch.float64)
    target = torch.randn(num, 6, *sizes[1], generator=gen, dtype=torch.float64)
    coord_q, coord_k = _coords(kind, num, gen)
    coord_q, coord_k = coord_q.double(), coord_k.double()
    expected = loop_pixpro(pred, target, coord_q, coord_k, 0.7)
    for impl in ('pytorch', 'auto'):
        got = pixpro_loss(pred, target, coord_q, coord_k, 0.7, impl=impl)
        assert got.item() == pytest.approx(expected, abs=1e-9), impl
    if kind == 'disjoint':
        assert expected == 0.0  # no positives: every image contributes 0 and still counts


def test_pixpro_loss_counts_images_without_positives_in_the_mean():
    gen = torch.Generator().manual_seed(0)
    pred = torch.randn(2, 4, 3, 3, generator=gen)
    coord_q, coord_k = overlapping_pair(1, gen)
    far_q, far_k = disjoint_pair(1)
    both = pixpro_loss(pred, pred, torch.cat([coord_q, far_q]), torch.cat([coord_k, far_k]))
    alone = pixpro_loss(pred[:1], pred[:1], coord_q, coord_k)
    assert both.item() == pytest.approx(alone.item() / 2, rel=1e-6)


def test_pixpro_loss_of_identical_features_on_identical_crops_is_minus_two():
    feat = torch.randn(2, 8, 5, 5)
    coord = torch.tensor([[0.1, 0.2, 0.7, 0.9], [0.8, 0.0, 0.2, 0.6]])
    # Constant features along space make every positive pair a cosine of 1.
    flat = feat[:, :, :1, :1].expand_as(feat)
    assert pixpro_loss(flat, flat, coord, coord).item() == pytest.approx(-2.0, abs=1e-5)


@pytest.mark.parametrize('kind', ['overlapping', 'random', 'disjoint'])
@pytest.mark.parametrize('neg_ratio', [None, 1.2])
def test_pixcontrast_loss_equals_the_loop(kind, neg_ratio):
    gen = torch.Generator().manual_seed(7)
    num = 2
    query = torch.randn(num, 5, 3, 4, generator=gen, dtype=torch.float64)
    key = torch.randn(num, 5, 4, 3, generator=gen, dtype=torch.float64)
    coord_q, coord_k = _coords(kind, num, gen)
    coord_q, coord_k = coord_q.double(), coord_k.double()
    expected = loop_pixcontrast(
        query, key, coord_q, coord_k, 0.7, 0.7 if neg_ratio is None else neg_ratio, 0.3
    )
    got = pixcontrast_loss(query, key, coord_q, coord_k, 0.7, neg_ratio, 0.3)
    assert got.item() == pytest.approx(expected, abs=1e-9)


def test_pixcontrast_loss_gradients_are_finite_without_positives():
    query = torch.randn(2, 4, 3, 3, requires_grad=True)
    coord_q, coord_k = disjoint_pair(2)
    loss = pixcontrast_loss(query, torch.randn(2, 4, 3, 3), coord_q, coord_k)
    loss.backward()
    assert loss.item() == 0.0 and torch.isfinite(query.grad).all()


def test_pixcontrast_loss_rejects_a_neg_ratio_below_the_positive_threshold():
    x = torch.randn(1, 4, 2, 2)
    coord = torch.tensor([[0.0, 0.0, 1.0, 1.0]])
    with pytest.raises(ValueError, match='neg_ratio'):
        pixcontrast_loss(x, x, coord, coord, pos_ratio=0.7, neg_ratio=0.5)
