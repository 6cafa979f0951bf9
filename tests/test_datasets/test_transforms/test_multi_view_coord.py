"""MultiViewWithCoord output, packing into DataSample and batching as mmengine loaders do."""

import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.dataset import default_collate, pseudo_collate
from torch.utils.data import DataLoader

from mmpcd.datasets.transforms import MultiViewWithCoord
from mmpcd.registry import DATASETS, TRANSFORMS
from mmpcd.utils import register_all_modules

SIZE = 48
VIEW = [
    dict(
        type='RandomResizedCropWithCoord',
        scale=SIZE,
        crop_ratio_range=(0.08, 1.0),
        backend='pillow',
    ),
    dict(type='RandomFlipWithCoord', prob=0.5),
    dict(
        type='RandomApply',
        prob=0.8,
        transforms=[
            dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1)
        ],
    ),
    dict(type='Solarize', thr=128, prob=0.2),
]
TWO_VIEWS = dict(type='MultiViewWithCoord', num_views=[1, 1], transforms=[VIEW, VIEW])
PACK = dict(type='PackInputs', algorithm_keys=['coord'])

# mmpretrain's ColorJitter saturates with mmcv's pillow backend, which warns on every call.
pytestmark = pytest.mark.filterwarnings("ignore:Only use 'alpha' for pillow backend")


@pytest.fixture(scope='module', autouse=True)
def _mmpcd_scope():
    register_all_modules()


def model_coords(data_samples) -> torch.Tensor:
    """What the model will do with the packed samples: (N, V, 4)."""
    return torch.stack([torch.as_tensor(sample.coord) for sample in data_samples])


def test_views_and_stacked_boxes():
    multi_view = TRANSFORMS.build(dict(TWO_VIEWS, num_views=[2, 1]))
    assert type(multi_view) is MultiViewWithCoord
    image = np.random.RandomState(0).randint(0, 256, (70, 90, 3), dtype=np.uint8)
    np.random.seed(0)
    results = multi_view(dict(img=image.copy(), img_shape=image.shape[:2]))

    assert len(results['img']) == 3
    assert all(view.shape == (SIZE, SIZE, 3) for view in results['img'])
    assert results['coord'].shape == results['crop_box'].shape == (3, 4)
    assert results['coord'].dtype == results['crop_box'].dtype == np.float32
    scale = np.array([89, 69, 89, 69], np.float64)
    np.testing.assert_allclose(results['coord'] * scale, results['crop_box'], atol=1e-4)
    assert results['coord_ori_shape'] == (70, 90)
    # Views are independent draws; the per-view keys do not leak into the sample.
    assert len({tuple(box) for box in results['crop_box']}) == 3
    assert 'flip' not in results


def test_pack_inputs_puts_a_v_by_4_coord_in_each_data_sample():
    pipeline = [TRANSFORMS.build(TWO_VIEWS), TRANSFORMS.build(PACK)]
    samples = []
    for seed in range(3):
        np.random.seed(seed)
        results = dict(img=np.full((50, 60, 3), seed * 40, np.uint8), sample_idx=seed)
        for transform in pipeline:
            results = transform(results)
        samples.append(results)

    sample = samples[0]
    assert [view.shape for view in sample['inputs']] == [(3, SIZE, SIZE)] * 2
    assert isinstance(sample['data_samples'].coord, np.ndarray)  # stored as given
    assert sample['data_samples'].coord.shape == (2, 4)

    for collate in (default_collate, pseudo_collate):
        batch = collate(samples)
        coords = model_coords(batch['data_samples'])
        assert coords.shape == (3, 2, 4) and coords.dtype == torch.float32
        for i, packed in enumerate(samples):
            np.testing.assert_array_equal(coords[i].numpy(), packed['data_samples'].coord)
    assert [view.shape for view in default_collate(samples)['inputs']] == [(3, 3, SIZE, SIZE)] * 2


def test_custom_dataset_on_demo_images_batches_coords(repo_root: str):
    dataset = DATASETS.build(
        dict(
            type='CustomDataset',
            data_root=osp.join(repo_root, 'data', 'demo'),
            data_prefix='images',
            with_label=False,
            pipeline=[dict(type='LoadImageFromFile'), TWO_VIEWS, PACK],
        )
    )
    loader = DataLoader(dataset, batch_size=4, shuffle=False, collate_fn=default_collate)
    batch = next(iter(loader))

    assert len(batch['inputs']) == 2
    assert all(view.shape == (4, 3, SIZE, SIZE) for view in batch['inputs'])
    coords = model_coords(batch['data_samples'])
    assert coords.shape == (4, 2, 4)
    assert ((coords >= 0) & (coords <= 1)).all()
