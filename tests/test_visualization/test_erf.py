"""visualize_erf.py: its doc commands, and what the ERF measures."""

import json

import pytest
import torch
import torch.nn as nn

from mmpcd.visualization import (
    build_feature_model,
    effective_receptive_field,
    erf_centroid,
    erf_widths,
    load_folder,
    to_tensor,
)

from .helpers import PCD, assert_png, doc_commands, in_work_dir, load_tool

PANEL, TITLE = 96, 40
FAST = ['--size', '96', '--num-images', '4', '--panel', str(PANEL)]


def test_doc_command_mhsa_both_draws_both_panels_and_writes_widths(demo_work_dirs):
    argv = in_work_dir(doc_commands('visualize_erf.py')[0], demo_work_dirs)
    widths = load_tool('visualize_erf.py').main(argv + FAST)
    assert_png(f'{demo_work_dirs}/vis/erf_mhsa.png', PANEL + TITLE, 2 * PANEL)
    with open(f'{demo_work_dirs}/vis/erf_mhsa.json') as f:
        written = json.load(f)
    assert written == widths
    assert {name: w['layer'] for name, w in written.items()} == {
        'ResNet-18': 'backbone',
        'ResNet-18+MHSA': 'neck.mhsa',
    }
    assert all(w['feature_size'] == [3, 3] and w['images'] == 4 for w in written.values())


def test_doc_command_compare_draws_one_panel_per_checkpoint(demo_work_dirs):
    argv = in_work_dir(doc_commands('visualize_erf.py')[1], demo_work_dirs)
    widths = load_tool('visualize_erf.py').main(argv + FAST)
    assert_png(f'{demo_work_dirs}/vis/erf_compare.png', PANEL + TITLE, 2 * PANEL)
    assert list(widths) == ['PixPro', 'DenseCL']
    # Different weights, different fields.
    assert widths['PixPro']['radius'] != widths['DenseCL']['radius']


def test_mhsa_widens_the_erf_on_the_same_backbone_weights():
    """PCD's claim for its MHSA: the same ResNet-18 map, passed through the attention, depends
    on far more of the image (160 px inputs, a 5 x 5 map). The backbone starts as PixPro's
    recipe does (``zero_init_residual=True``), which gives it the local ERF of a trained CNN;
    at Kaiming init with live residual branches its ERF already spans most of the image and
    the MHSA changes it by well under 1%."""
    widths = mhsa_widths({'model.backbone.zero_init_residual': True})
    plain, attention = widths['backbone'], widths['neck.mhsa']
    assert attention['radius'] > 5 * plain['radius']
    assert attention['outside'] > plain['outside'] + 0.4


def mhsa_widths(cfg_options: dict) -> dict:
    """ERF widths of the PCD demo student's map before and after its MHSA."""
    torch.manual_seed(0)
    model = build_feature_model(PCD, cfg_options=cfg_options)
    _, images = load_folder('data/demo/images', 160, limit=8)
    inputs = model.preprocess(to_tensor(images))
    widths = {}
    for layer in ('backbone', 'neck.mhsa'):
        erf, _ = effective_receptive_field(lambda x, layer=layer: model.features(x, layer), inputs)
        widths[layer] = erf_widths(erf, erf_centroid(erf), window=40)
    return widths


@pytest.mark.parametrize('convs', [1, 2])
def test_erf_of_stacked_3x3_convs_covers_exactly_their_receptive_field(convs):
    """k stacked 3x3 convs see a (2k+1)^2 window around the centre pixel and nothing else."""
    torch.manual_seed(0)
    net = nn.Sequential(*[nn.Conv2d(3, 3, 3, padding=1) for _ in range(convs)])
    erf, feat_hw = effective_receptive_field(net, torch.randn(3, 3, 9, 11))
    assert feat_hw == (9, 11)
    support = erf > 0
    assert torch.isclose(erf.sum(), torch.tensor(1.0, dtype=erf.dtype))
    expected = torch.zeros(9, 11, dtype=torch.bool)
    expected[4 - convs : 5 + convs, 5 - convs : 6 + convs] = True
    assert torch.equal(support, expected)


def test_erf_widths_of_a_point_and_of_a_uniform_map():
    point = torch.zeros(21, 21, dtype=torch.float64)
    point[10, 10] = 1
    assert erf_widths(point, erf_centroid(point), window=5) == dict(outside=0.0, radius=0.0)
    uniform = torch.full((20, 20), 1 / 400, dtype=torch.float64)
    widths = erf_widths(uniform, torch.tensor([9.5, 9.5], dtype=torch.float64), window=10)
    assert widths['outside'] == pytest.approx(0.75)
    # Half of a 20 x 20 square lies within r of its centre for pi r^2 = 200.
    assert widths['radius'] == pytest.approx((200 / torch.pi) ** 0.5, abs=0.5)
