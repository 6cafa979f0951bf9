"""The tools' model: backbone and neck of an algorithm config, weights from its checkpoint."""

import pytest
import torch

from mmpcd.visualization import CheckpointMismatch, FeatureModel, build_feature_model

from .helpers import DENSECL, PCD, load_tool, save_training_checkpoint


@pytest.fixture(scope='module')
def densecl_checkpoint(tmp_path_factory):
    path = str(tmp_path_factory.mktemp('ckpt') / 'epoch_2.pth')
    return path, save_training_checkpoint(DENSECL, path, seed=3)


def test_training_checkpoint_gives_the_backbone_and_neck_weights(densecl_checkpoint):
    path, state = densecl_checkpoint
    model = build_feature_model(DENSECL, path)  # the message hub is read weights-only
    own = model.state_dict()
    assert any(k.startswith('backbone.') for k in own) and any(k.startswith('neck.') for k in own)
    for key, value in own.items():
        assert torch.equal(value, state[key]), key
    assert not model.training and not any(p.requires_grad for p in model.parameters())


def test_pickled_checkpoint_is_refused_without_trust(densecl_checkpoint, tmp_path):
    import argparse

    path = str(tmp_path / 'pickled.pth')
    torch.save(dict(state_dict=densecl_checkpoint[1], opt=argparse.Namespace(lr=1)), path)
    with pytest.raises(CheckpointMismatch, match='argparse.Namespace.*--trust'):
        build_feature_model(DENSECL, path)
    assert build_feature_model(DENSECL, path, trust=True) is not None


def test_checkpoint_without_backbone_weights_is_refused(densecl_checkpoint, tmp_path):
    """Keys under another prefix, or of another backbone's shapes, load nothing: an error
    that names what was expected and found, also as the tools' exit message."""
    _, state = densecl_checkpoint
    foreign = str(tmp_path / 'foreign.pth')
    torch.save({'state_dict': {f'encoder.{k}': v for k, v in state.items()}}, foreign)
    with pytest.raises(CheckpointMismatch, match=r"expected keys like 'backbone\..*encoder\."):
        build_feature_model(DENSECL, foreign)
    wrong_shape = str(tmp_path / 'wrong_shape.pth')
    torch.save({'backbone.conv1.weight': torch.zeros(1)}, wrong_shape)
    with pytest.raises(SystemExit, match='no weights for this backbone'):
        load_tool('visualize_features.py').main(
            [
                DENSECL,
                wrong_shape,
                '--images',
                'data/demo/images',
                '--out-dir',
                str(tmp_path / 'out'),
            ]
        )


def test_features_of_named_layers():
    model = build_feature_model(PCD)
    inputs = model.preprocess(torch.full((2, 3, 64, 64), 128.0))
    assert model.features(inputs, 'backbone.layer3').shape == (2, 256, 4, 4)
    assert model.features(inputs, 'backbone').shape == (2, 512, 2, 2)
    assert model.features(inputs, 'neck.mhsa').shape == (2, 512, 2, 2)
    assert model.feature_size(96, 'neck.mhsa') == (3, 3)
    with pytest.raises(KeyError, match='backbone.layer4'):
        model.features(inputs, 'backbone.layer9')


def test_mhsa_is_found_inside_pcds_neck_or_as_the_neck():
    from mmpcd.models.necks.mhsa import MHSA

    assert build_feature_model(PCD).mhsa_layer == 'neck.mhsa'
    assert build_feature_model(DENSECL).mhsa_layer is None
    pcd = build_feature_model(PCD)
    alone = FeatureModel(pcd.backbone, MHSA(512, feat_size=2), [0.0] * 3, [1.0] * 3, True)
    assert alone.mhsa_layer == 'neck'
    assert alone.features(torch.zeros(1, 3, 64, 64), 'neck').shape == (1, 512, 2, 2)
