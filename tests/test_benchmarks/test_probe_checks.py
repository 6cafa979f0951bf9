"""tools/benchmarks/probe_checks.py: its BN treatments set the statistics they say, leave the
backbone in eval mode, and a quick run probes every requested combination."""

import json
import os.path as osp

import pytest
import torch
from torch import nn

from tests.conftest import load_script

checks = load_script('tools/benchmarks/probe_checks.py')
DENSECL = 'configs/benchmarks/small/densecl_resnet18_1xb32-coslr-100i_synthetic-64px.py'


class ConvBN(nn.Module):
    """Two conv-BN-ReLU layers, so the second BN's input depends on the first BN."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4)
        self.conv2, self.bn2 = nn.Conv2d(4, 5, 3, padding=1), nn.BatchNorm2d(5)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        return (torch.relu(self.bn2(self.conv2(x))),)


def _images(n=10, size=16):
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(0)) * 255


def _population(net, images):
    """Mean and unbiased variance of each BN's input over ``images`` with eval-mode BNs."""
    from mmpcd.evaluation.dense_probe import _normalise

    x = net.conv1(_normalise(images))
    first = (x.mean(dim=(0, 2, 3)), x.var(dim=(0, 2, 3)))
    y = net.conv2(torch.relu(net.bn1(x)))
    return first, (y.mean(dim=(0, 2, 3)), y.var(dim=(0, 2, 3)))


@torch.no_grad()
def test_layerwise_statistics_are_each_bns_input_population_statistics():
    torch.manual_seed(0)
    net, images = ConvBN().eval(), _images()
    checks.set_statistics_layerwise(net, images)
    (m1, v1), (m2, v2) = _population(net, images)  # bn1 already set when bn2's input is taken
    torch.testing.assert_close(net.bn1.running_mean, m1)
    torch.testing.assert_close(net.bn1.running_var, v1)
    torch.testing.assert_close(net.bn2.running_mean, m2)
    torch.testing.assert_close(net.bn2.running_var, v2)


@torch.no_grad()
def test_mean_only_and_var_only_keep_the_other_statistic():
    torch.manual_seed(0)
    net, images = ConvBN().eval(), _images()
    checks.set_statistics_layerwise(net, images, var=False)
    assert torch.equal(net.bn1.running_var, torch.ones(4))
    assert not torch.equal(net.bn1.running_mean, torch.zeros(4))
    net = ConvBN().eval()
    checks.set_statistics_layerwise(net, images, mean=False)
    assert torch.equal(net.bn2.running_mean, torch.zeros(5))
    assert not torch.equal(net.bn2.running_var, torch.ones(5))


@pytest.mark.parametrize('treatment', checks.BN_TREATMENTS)
def test_every_treatment_leaves_eval_mode_and_only_as_is_keeps_the_statistics(treatment):
    torch.manual_seed(0)
    net = ConvBN().eval()
    images = dict(train=_images(), val=_images(6), pretrain=_images(8))
    checks.apply_bn_treatment(net, treatment, images)
    assert not any(m.training for m in net.modules())
    untouched = torch.equal(net.bn2.running_mean, torch.zeros(5)) and torch.equal(
        net.bn2.running_var, torch.ones(5)
    )
    assert untouched == (treatment == 'as-is')


def test_quick_run_probes_every_combination(tmp_path, one_thread):
    out = osp.join(tmp_path, 'rows.json')
    rows = checks.main(
        ['--quick', '--models', f'r18={DENSECL}', '--bn', 'as-is', 'layerwise']
        + ['--stage-sets', '1,2,3', '3', '--pixels', '--out', out]
    )
    combos = {(r['model'], r['bn'], tuple(r['stages'])) for r in rows}
    assert combos == {
        ('RGB pixels', '-', ()),
        ('r18', 'as-is', (1, 2, 3)),
        ('r18', 'as-is', (3,)),
        ('r18', 'layerwise', (1, 2, 3)),
        ('r18', 'layerwise', (3,)),
    }
    assert all(0 <= r['miou'] <= 100 for r in rows)
    assert {r['channels'] for r in rows if r['model'] == 'r18'} == {896, 512}
    with open(out) as file:
        assert len(json.load(file)['rows']) == len(rows)


def test_a_model_without_a_config_is_refused():
    with pytest.raises(SystemExit, match='NAME=CONFIG'):
        checks.main(['--models', 'r18', '--quick'])
