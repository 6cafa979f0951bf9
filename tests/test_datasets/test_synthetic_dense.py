"""The procedural dense-label data: generator, dataset and exporters."""

import json

import numpy as np
import pytest

from mmpcd.datasets.synthetic_dense import (
    PALETTE,
    SEG_CLASSES,
    THING_CLASSES,
    SyntheticDenseDataset,
    export_coco,
    export_semseg,
    generate_dense_sample,
    mask_to_rle,
)

ARRAY_KEYS = ('img', 'gt_seg_map', 'masks', 'labels', 'bboxes')
# Colour channel (B, G, R index) ordering each class's hue must satisfy:
# (brighter, darker) pairs, e.g. a red circle has R > G and R > B.
DOMINANT_CHANNELS = {
    'circle': ((2, 1), (2, 0)),
    'square': ((1, 2), (1, 0)),
    'triangle': ((0, 2), (0, 1)),
    'ring': ((2, 0), (1, 0)),
    'cross': ((2, 1), (0, 1)),
}


def _assert_samples_equal(a: dict, b: dict) -> None:
    for key in ARRAY_KEYS:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def _tight_box(mask: np.ndarray) -> list:
    rows, cols = np.nonzero(mask)
    return [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]


@pytest.fixture(scope='module')
def samples() -> list:
    return [generate_dense_sample(i, seed=3, return_background=True) for i in range(40)]


# ---------------------------------------------------------------- generator
def test_same_seed_and_index_give_identical_samples():
    _assert_samples_equal(generate_dense_sample(7, seed=1), generate_dense_sample(7, seed=1))


def test_other_seed_or_index_gives_another_image():
    ref = generate_dense_sample(7, seed=1)['img']
    assert not np.array_equal(ref, generate_dense_sample(7, seed=2)['img'])
    assert not np.array_equal(ref, generate_dense_sample(8, seed=1)['img'])


def test_types_and_shapes(samples: list):
    for s in samples:
        n = len(s['labels'])
        assert s['img'].shape == (64, 64, 3) and s['img'].dtype == np.uint8
        assert s['gt_seg_map'].shape == (64, 64)
        assert s['gt_seg_map'].dtype == np.uint8
        assert s['masks'].shape == (n, 64, 64) and s['masks'].dtype == bool
        assert s['labels'].dtype == np.int64
        assert s['bboxes'].shape == (n, 4) and s['bboxes'].dtype == np.float32
        assert ((0 <= s['labels']) & (s['labels'] < len(THING_CLASSES))).all()


def test_configurable_shape_and_object_count():
    s = generate_dense_sample(0, img_shape=(48, 80), num_objects=(5, 5))
    assert s['img'].shape == (48, 80, 3)
    assert s['masks'].shape[1:] == (48, 80)
    assert 1 <= len(s['labels']) <= 5


def test_every_class_occurs_and_every_scene_has_objects(samples: list):
    labels = np.concatenate([s['labels'] for s in samples])
    assert set(labels.tolist()) == set(range(len(THING_CLASSES)))
    assert all(len(s['labels']) >= 1 for s in samples)


def test_later_objects_occlude_earlier_ones_and_small_rests_are_dropped():
    from mmpcd.datasets.synthetic_dense import _drop_small, _visible_masks

    bottom, top = np.zeros((2, 8, 8), dtype=bool)
    bottom[:, :6] = True
    top[:, 2:] = True
    visible = _visible_masks([bottom, top])
    assert visible[0].sum() == 16 and visible[0][:, :2].all()
    np.testing.assert_array_equal(visible[1], top)
    kept, labels = _drop_small([bottom, top], np.array([3, 1]), min_area=20)
    assert labels.tolist() == [1]
    np.testing.assert_array_equal(kept[0], top)


def test_masks_are_visible_disjoint_and_large_enough(samples: list):
    min_area = 0.01 * 64 * 64
    for s in samples:
        assert (s['masks'].sum(axis=0) <= 1).all()
        assert (s['masks'].sum(axis=(1, 2)) >= min_area).all()


def test_crowded_scenes_drop_mostly_hidden_objects():
    # Many large objects: some get (nearly) hidden by later ones.
    crowded = [
        generate_dense_sample(i, num_objects=(8, 8), min_visible_frac=0.04) for i in range(10)
    ]
    counts = [len(s['labels']) for s in crowded]
    assert min(counts) >= 1 and max(counts) < 8
    for s in crowded:
        assert (s['masks'].sum(axis=(1, 2)) >= 0.04 * 64 * 64).all()


def test_boxes_are_tight_boxes_of_masks(samples: list):
    for s in samples:
        for mask, box in zip(s['masks'], s['bboxes']):
            assert box.tolist() == _tight_box(mask)


def test_seg_map_is_union_of_labelled_masks(samples: list):
    for s in samples:
        expected = np.zeros((64, 64), dtype=np.uint8)
        for mask, label in zip(s['masks'], s['labels']):
            expected[mask] = label + 1
        np.testing.assert_array_equal(s['gt_seg_map'], expected)


def test_image_shows_background_exactly_outside_masks(samples: list):
    for s in samples:
        outside = ~s['masks'].any(axis=0)
        np.testing.assert_array_equal(s['img'][outside], s['background'][outside])
        # Inside the masks the objects replace the background.
        changed = (s['img'][~outside] != s['background'][~outside]).any(-1)
        assert changed.mean() > 0.9


def test_object_pixels_have_their_class_hue(samples: list):
    for s in samples:
        for mask, label in zip(s['masks'], s['labels']):
            mean_bgr = s['img'][mask].reshape(-1, 3).astype(float).mean(0)
            for hi, lo in DOMINANT_CHANNELS[THING_CLASSES[label]]:
                assert mean_bgr[hi] > mean_bgr[lo], (THING_CLASSES[label], mean_bgr)


def test_generation_is_fast():
    import time

    start = time.perf_counter()
    for i in range(64):
        generate_dense_sample(i)
    assert time.perf_counter() - start < 2.0


def test_rle_roundtrips_through_pycocotools(samples: list):
    from pycocotools import mask as mask_utils

    corner = np.zeros((5, 7), dtype=bool)
    corner[0, 0] = corner[4, 6] = True
    edge_cases = [corner, ~corner, np.ones((3, 4), dtype=bool)]
    for mask in list(samples[0]['masks']) + edge_cases:
        rle = mask_utils.frPyObjects(mask_to_rle(mask), *mask.shape)
        np.testing.assert_array_equal(mask_utils.decode(rle), mask)


# ------------------------------------------------------------------ dataset
@pytest.fixture(scope='module')
def registry():
    from mmpcd.registry import DATASETS
    from mmpcd.utils import register_all_modules

    register_all_modules()
    return DATASETS


def test_dataset_builds_from_config_and_matches_generator(registry):
    dataset = registry.build(dict(type='SyntheticDenseDataset', num_images=5, seed=4))
    assert isinstance(dataset, SyntheticDenseDataset)
    assert len(dataset) == 5
    assert dataset.metainfo['classes'] == SEG_CLASSES
    assert dataset.metainfo['thing_classes'] == THING_CLASSES
    assert len(dataset.metainfo['palette']) == len(SEG_CLASSES)
    for i in range(5):
        info = dataset[i]
        ref = generate_dense_sample(i, seed=4)
        np.testing.assert_array_equal(info['img'], ref['img'])
        np.testing.assert_array_equal(info['gt_seg_map'], ref['gt_seg_map'])
        assert info['img_shape'] == info['ori_shape'] == (64, 64)
        assert [inst['bbox_label'] for inst in info['instances']] == ref['labels'].tolist()


def test_dataset_subset_keeps_generator_index(registry):
    dataset = registry.build(dict(type='SyntheticDenseDataset', num_images=10, indices=[6, 2]))
    assert len(dataset) == 2
    np.testing.assert_array_equal(dataset[0]['img'], generate_dense_sample(6)['img'])
    np.testing.assert_array_equal(dataset[1]['img'], generate_dense_sample(2)['img'])


def test_pretrain_pipeline_flips_and_packs(registry):
    pipeline = [
        dict(type='RandomFlip', prob=1.0, direction='horizontal'),
        dict(type='PackInputs'),
    ]
    dataset = registry.build(dict(type='SyntheticDenseDataset', num_images=2, pipeline=pipeline))
    packed = dataset[1]
    ref = generate_dense_sample(1)['img']
    # PackInputs gives a CHW tensor of the (flipped) BGR image.
    img = packed['inputs'].permute(1, 2, 0).numpy()
    np.testing.assert_array_equal(img, ref[:, ::-1])
    assert packed['data_samples'].ori_shape == (64, 64)


def test_mmseg_pipeline_crops_image_and_seg_map_together(registry):
    pipeline = [
        dict(type='mmseg.RandomCrop', crop_size=(32, 40)),
        dict(type='mmseg.PackSegInputs'),
    ]
    dataset = registry.build(
        dict(type='SyntheticDenseDataset', num_images=3, img_shape=(64, 64), pipeline=pipeline)
    )
    packed = dataset[2]
    ref = generate_dense_sample(2)
    img = packed['inputs'].permute(1, 2, 0).numpy()
    seg = packed['data_samples'].gt_sem_seg.data[0].numpy()
    assert img.shape == (32, 40, 3) and seg.shape == (32, 40)
    # Find the crop offset from the image, then the seg map must match it.
    offsets = [
        (y, x)
        for y in range(33)
        for x in range(25)
        if np.array_equal(ref['img'][y : y + 32, x : x + 40], img)
    ]
    assert len(offsets) == 1
    y, x = offsets[0]
    np.testing.assert_array_equal(seg, ref['gt_seg_map'][y : y + 32, x : x + 40])


def test_mmdet_load_annotations_reproduces_instances(registry):
    from mmdet.datasets.transforms import LoadAnnotations

    dataset = registry.build(dict(type='SyntheticDenseDataset', num_images=4))
    load = LoadAnnotations(with_bbox=True, with_mask=True)
    for i in range(4):
        results = load(dataset[i])
        ref = generate_dense_sample(i)
        np.testing.assert_array_equal(results['gt_masks'].masks, ref['masks'].astype(np.uint8))
        np.testing.assert_array_equal(results['gt_bboxes'].numpy(), ref['bboxes'])
        np.testing.assert_array_equal(results['gt_bboxes_labels'], ref['labels'])
        assert not results['gt_ignore_flags'].any()


def test_dataset_is_light_when_serialized(registry):
    dataset = registry.build(dict(type='SyntheticDenseDataset', num_images=1000))
    # Only indices are stored; images are generated on access.
    assert dataset.data_bytes.nbytes < 100 * 1000


# ---------------------------------------------------------------- exporters
def test_coco_export_loads_through_mmdet(tmp_path):
    from mmcv.transforms import LoadImageFromFile
    from mmdet.datasets import CocoDataset
    from mmdet.datasets.transforms import LoadAnnotations

    out = export_coco(str(tmp_path), num_images=6, seed=5)
    assert out['classes'] == THING_CLASSES
    dataset = CocoDataset(
        ann_file=out['ann_file'],
        data_prefix=dict(img=out['img_dir']),
        metainfo=dict(classes=out['classes']),
        pipeline=[LoadImageFromFile(), LoadAnnotations(with_bbox=True, with_mask=True)],
    )
    assert len(dataset) == 6
    with open(out['ann_file']) as f:
        anns = json.load(f)['annotations']
    for i in range(6):
        results = dataset[i]
        ref = generate_dense_sample(results['img_id'], seed=5)
        np.testing.assert_array_equal(results['img'], ref['img'])
        np.testing.assert_array_equal(results['gt_masks'].masks, ref['masks'].astype(np.uint8))
        np.testing.assert_array_equal(results['gt_bboxes'].numpy(), ref['bboxes'])
        np.testing.assert_array_equal(results['gt_bboxes_labels'], ref['labels'])
        own = [a for a in anns if a['image_id'] == results['img_id']]
        assert [a['area'] for a in own] == ref['masks'].sum((1, 2)).tolist()
        assert all(a['iscrowd'] == 0 for a in own)


def test_semseg_export_loads_through_mmseg(tmp_path):
    from mmcv.transforms import LoadImageFromFile
    from mmseg.datasets import BaseSegDataset
    from mmseg.datasets.transforms import LoadAnnotations

    out = export_semseg(str(tmp_path), num_images=5, seed=6)
    assert out['classes'] == SEG_CLASSES
    dataset = BaseSegDataset(
        data_prefix=dict(img_path=out['img_dir'], seg_map_path=out['ann_dir']),
        img_suffix='.png',
        seg_map_suffix='.png',
        reduce_zero_label=False,
        metainfo=dict(classes=out['classes'], palette=PALETTE),
        pipeline=[LoadImageFromFile(), LoadAnnotations()],
    )
    assert len(dataset) == 5
    for i in range(5):
        results = dataset[i]
        ref = generate_dense_sample(i, seed=6)
        np.testing.assert_array_equal(results['img'], ref['img'])
        np.testing.assert_array_equal(results['gt_seg_map'], ref['gt_seg_map'])


def test_pregenerated_samples_equal_generated_ones_and_stay_unchanged():
    """A dataset of pregenerated arguments returns what generating gives, as copies: a
    pipeline changing its inputs in place cannot change the stored samples."""
    from mmpcd.datasets import pregenerate
    from mmpcd.datasets.synthetic_dense import _PREGENERATED

    lazy = SyntheticDenseDataset(num_images=4, img_shape=(32, 48), seed=123)
    expected = [lazy.get_data_info(i) for i in range(4)]
    pregenerate(3, seed=123, img_shape=[32, 48])  # sample 3 stays lazy
    try:
        dataset = SyntheticDenseDataset(num_images=4, img_shape=(32, 48), seed=123)
        for index in range(4):
            info = dataset.get_data_info(index)
            assert list(info) == list(expected[index])
            np.testing.assert_array_equal(info['img'], expected[index]['img'])
            np.testing.assert_array_equal(info['gt_seg_map'], expected[index]['gt_seg_map'])
            assert info['instances'] == expected[index]['instances']
        first = dataset.get_data_info(0)
        first['img'][:] = 0
        first['instances'].clear()
        again = dataset.get_data_info(0)
        np.testing.assert_array_equal(again['img'], expected[0]['img'])
        assert again['instances'] == expected[0]['instances']
        # Other arguments are not served from the store.
        other = SyntheticDenseDataset(num_images=1, img_shape=(32, 48), seed=124)
        assert not np.array_equal(other.get_data_info(0)['img'], expected[0]['img'])
    finally:
        _PREGENERATED.clear()
