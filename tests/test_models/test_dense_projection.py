import pytest
import torch
from mmpretrain.models import DenseCLNeck
from torch import nn

from mmpcd.models import DenseProjection
from mmpcd.registry import MODELS
from mmpcd.utils import register_all_modules

register_all_modules(init_default_scope=False)


def _feats(n: int = 2, c: int = 8, h: int = 5, w: int = 5) -> torch.Tensor:
    return torch.randn(n, c, h, w, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize('num_grid, side', [(None, 5), (3, 3), (7, 7)])
def test_single_level_gives_one_tuples_of_maps(num_grid, side):
    neck = DenseProjection(8, 16, 4, num_grid=num_grid)
    (glob,), (dense,), (pooled,) = neck((_feats(),))
    assert glob.shape == (2, 4)
    assert dense.shape == (2, 4, side, side)
    assert pooled.shape == (2, 4)
    # pooled_dense is the global average of the dense projection.
    torch.testing.assert_close(pooled, dense.mean(dim=(2, 3)))


def test_bare_tensor_equals_one_tuple():
    neck = DenseProjection(8, 16, 4)
    for a, b in zip(neck(_feats()), neck((_feats(),))):
        assert isinstance(a, tuple) and len(a) == 1
        torch.testing.assert_close(a, b)


def test_built_from_the_registry():
    neck = MODELS.build(
        dict(type='DenseProjection', in_channels=8, hid_channels=16, out_channels=4)
    )
    assert isinstance(neck, DenseProjection)


def test_without_norm_matches_mmpretrain_densecl_neck_key_for_key():
    torch.manual_seed(0)
    peer = DenseCLNeck(8, 16, 4, num_grid=3)
    ours = DenseProjection(8, 16, 4, num_grid=3)
    assert list(ours.state_dict()) == list(peer.state_dict())
    ours.load_state_dict(peer.state_dict(), strict=True)
    (glob,), (dense,), (pooled,) = ours((_feats(),))
    # DenseCLNeck flattens the dense map; the values are the same.
    for a, b in zip((glob, dense.flatten(2), pooled), peer((_feats(),))):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in ours.modules())


def test_with_bn_after_each_hidden_layer():
    neck = DenseProjection(8, 16, 4, num_layers=3, norm_cfg=dict(type='BN'))
    assert [type(m) for m in neck.mlp] == [
        nn.Linear,
        nn.BatchNorm1d,
        nn.ReLU,
        nn.Linear,
        nn.BatchNorm1d,
        nn.ReLU,
        nn.Linear,
    ]
    assert [type(m) for m in neck.mlp2] == [
        nn.Conv2d,
        nn.BatchNorm2d,
        nn.ReLU,
        nn.Conv2d,
        nn.BatchNorm2d,
        nn.ReLU,
        nn.Conv2d,
    ]
    # No bias before a norm layer; the output layer keeps its bias.
    assert neck.mlp[0].bias is None and neck.mlp2[0].bias is None
    assert neck.mlp[6].bias is not None and neck.mlp2[6].bias is not None
    (glob,), (dense,), (pooled,) = neck((_feats(n=4),))
    assert (glob.shape, dense.shape, pooled.shape) == ((4, 4), (4, 4, 5, 5), (4, 4))
    # Train-mode BN normalises each hidden channel over the batch (and positions).
    hidden = neck.mlp2[:2](_feats(n=4))
    torch.testing.assert_close(hidden.mean(dim=(0, 2, 3)), torch.zeros(16), atol=1e-5, rtol=0)


def test_single_layer_is_one_linear_and_one_conv():
    neck = DenseProjection(8, 16, 4, num_layers=1)
    assert [type(m) for m in neck.mlp] == [nn.Linear]
    assert [type(m) for m in neck.mlp2] == [nn.Conv2d]
    assert neck.mlp[0].in_features == 8 and neck.mlp[0].out_features == 4
    (glob,), (dense,), _ = neck(_feats())
    assert glob.shape == (2, 4) and dense.shape == (2, 4, 5, 5)
    with pytest.raises(ValueError, match='num_layers'):
        DenseProjection(8, 16, 4, num_layers=0)


def test_without_global_branch():
    neck = DenseProjection(8, 16, 4, with_global=False)
    assert not hasattr(neck, 'mlp')
    assert all(not k.startswith('mlp.') for k in neck.state_dict())
    glob, (dense,), (pooled,) = neck(_feats())
    assert glob is None and dense.shape == (2, 4, 5, 5) and pooled.shape == (2, 4)


@pytest.mark.parametrize('with_global', [True, False])
def test_multi_level_projects_each_level_with_the_shared_branches(with_global):
    neck = DenseProjection(8, 16, 4, norm_cfg=dict(type='BN'), with_global=with_global)
    neck.eval()  # BN statistics must not depend on which levels are batched together
    levels = (_feats(h=8, w=8), _feats(h=4, w=4), _feats(h=2, w=3))
    glob, dense, pooled = neck(levels)
    assert [d.shape for d in dense] == [(2, 4, 8, 8), (2, 4, 4, 4), (2, 4, 2, 3)]
    assert [p.shape for p in pooled] == [(2, 4)] * 3
    if with_global:
        assert [g.shape for g in glob] == [(2, 4)] * 3
    else:
        assert glob is None
    for i, level in enumerate(levels):
        single = neck((level,))
        torch.testing.assert_close(dense[i], single[1][0])
        torch.testing.assert_close(pooled[i], single[2][0])
        if with_global:
            torch.testing.assert_close(glob[i], single[0][0])


def test_multi_level_with_num_grid_pools_every_level():
    neck = DenseProjection(8, 16, 4, num_grid=2)
    _, dense, _ = neck((_feats(h=8, w=8), _feats(h=4, w=4)))
    assert [d.shape for d in dense] == [(2, 4, 2, 2), (2, 4, 2, 2)]
