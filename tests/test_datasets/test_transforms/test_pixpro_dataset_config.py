"""``configs/_base_/datasets/imagenet_bs64_pixpro.py`` loads, follows PixPro's recipe, builds and
runs on a demo image."""

import os.path as osp

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.dataset import default_collate

from mmpcd.registry import MODELS
from mmpcd.utils import register_all_modules

CONFIG = ('configs', '_base_', 'datasets', 'imagenet_bs64_pixpro.py')

# mmpretrain's ColorJitter saturates with mmcv's pillow backend, which warns on every call.
pytestmark = pytest.mark.filterwarnings("ignore:Only use 'alpha' for pillow backend")


@pytest.fixture(scope='module')
def cfg(repo_root: str) -> Config:
    register_all_modules()
    return Config.fromfile(osp.join(repo_root, *CONFIG))


def by_type(pipeline: list) -> dict:
    return {step['type']: step for step in pipeline}


def test_views_follow_the_pixpro_recipe(cfg: Config):
    dataset = cfg.train_dataloader.dataset
    assert (dataset.type, dataset.split) == ('ImageNet', 'train')
    assert cfg.train_dataloader.batch_size == 64
    load, multi_view, pack = dataset.pipeline
    assert load.type == 'LoadImageFromFile'
    assert multi_view.type == 'MultiViewWithCoord' and multi_view.num_views == [1, 1]
    assert pack == dict(type='PackInputs', algorithm_keys=['coord'])

    for view, blur_prob, solarize_prob in zip(multi_view.transforms, (1.0, 0.1), (0.0, 0.2)):
        steps = by_type(view)
        assert view[0].type == 'RandomResizedCropWithCoord'
        crop = steps['RandomResizedCropWithCoord']
        assert (crop.scale, tuple(crop.crop_ratio_range)) == (224, (0.08, 1.0))
        assert (crop.interpolation, crop.backend) == ('bilinear', 'pillow')
        assert steps['RandomFlipWithCoord'].prob == 0.5
        jitter = steps['RandomApply']
        assert jitter.prob == 0.8
        assert {k: v for k, v in jitter.transforms[0].items() if k != 'type'} == dict(
            brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1
        )
        assert steps['RandomGrayscale'].prob == 0.2
        assert steps['GaussianBlur'].prob == blur_prob
        assert tuple(steps['GaussianBlur'].magnitude_range) == (0.1, 2.0)
        assert (steps['Solarize'].thr, steps['Solarize'].prob) == (128, solarize_prob)


def test_pipeline_and_preprocessor_deliver_views_and_coords(cfg: Config, repo_root: str):
    pipeline = Compose(cfg.train_dataloader.dataset.pipeline)
    images = osp.join(repo_root, 'data', 'demo', 'images')
    np.random.seed(0)
    samples = [
        pipeline(dict(img_path=osp.join(images, name)))
        for name in ('chelsea_c0.jpg', 'rocket_full.jpg')
    ]
    assert [tuple(view.shape) for view in samples[0]['inputs']] == [(3, 224, 224)] * 2
    coord = samples[0]['data_samples'].coord
    assert coord.shape == (2, 4) and coord.dtype == np.float32

    preprocessor = MODELS.build(cfg.data_preprocessor)
    assert type(preprocessor).__name__ == 'SelfSupDataPreprocessor'
    batch = preprocessor(default_collate(samples), training=True)
    assert [tuple(view.shape) for view in batch['inputs']] == [(2, 3, 224, 224)] * 2
    coords = torch.stack([torch.as_tensor(s.coord) for s in batch['data_samples']])
    assert coords.shape == (2, 2, 4)
