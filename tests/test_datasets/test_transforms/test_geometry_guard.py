"""MultiViewWithCoord refuses view pipelines that would make ``coord`` lie about the image."""

import re

import mmcv
import numpy as np
import pytest
from mmcv.transforms import BaseTransform
from mmpretrain.datasets.transforms import ColorJitter

from mmpcd.datasets.transforms import MultiViewWithCoord
from mmpcd.registry import TRANSFORMS
from mmpcd.utils import register_all_modules

CROP = dict(type='RandomResizedCropWithCoord', scale=32)
FLIP = dict(type='RandomFlipWithCoord', prob=0.5)
JITTER = dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1)


@pytest.fixture(scope='module', autouse=True)
def _mmpcd_scope():
    register_all_modules()


class Brighten(BaseTransform):
    """A custom photometric transform that declares it keeps every pixel in place."""

    preserves_geometry = True

    def transform(self, results: dict) -> dict:
        results['img'] = np.clip(results['img'].astype(np.int16) + 10, 0, 255).astype(np.uint8)
        return results


class SneakyResize(BaseTransform):
    """Wrongly declares itself geometry-preserving: only the run-time guard can catch it."""

    preserves_geometry = True

    def transform(self, results: dict) -> dict:
        results['img'] = mmcv.imresize(results['img'], (16, 16))
        return results


class SneakyRotate(BaseTransform):
    """Moves pixels without a declaration: the static check must refuse it."""

    def transform(self, results: dict) -> dict:
        results['img'] = np.rot90(results['img']).copy()
        return results


class ShiftedJitter(ColorJitter):
    """A subclass of an allow-listed class; it might move pixels, so it must declare."""


class CoordAwareTranspose(BaseTransform):
    """A custom transform that keeps coord up to date itself."""

    updates_coord = True

    def transform(self, results: dict) -> dict:
        return results


def build(*views) -> MultiViewWithCoord:
    return TRANSFORMS.build(
        dict(type='MultiViewWithCoord', num_views=[1] * len(views), transforms=list(views))
    )


def rejection(*views) -> str:
    with pytest.raises(ValueError) as info:
        build(*views)
    return str(info.value)


@pytest.mark.parametrize(
    'view',
    [
        [
            CROP,
            FLIP,
            dict(type='RandomApply', transforms=[JITTER], prob=0.8),
            dict(type='RandomGrayscale', prob=0.2, keep_channels=True),
            dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.1),
            dict(type='Solarize', thr=128, prob=0.2),
        ],
        [JITTER, CROP, FLIP],  # photometric before the crop is harmless
        [CROP, dict(type='RandomChoice', transforms=[[FLIP], [JITTER, FLIP]])],
        [CROP, dict(type='RandomApply', transforms=[dict(type='RandomFlipWithCoord', prob=1.0)])],
        [CROP, Brighten(), CoordAwareTranspose()],
        [CROP, dict(type='Normalize', mean=[0, 0, 0], std=[1, 1, 1])],
    ],
)
def test_accepts_coord_preserving_pipelines(view):
    build(view, [CROP])


def test_plain_random_flip_after_crop_is_refused_with_the_fix():
    message = rejection([CROP], [CROP, FLIP, dict(type='RandomFlip', prob=0.5)])
    assert message.startswith('MultiViewWithCoord transforms[1] (views [1]): ')
    assert 'RandomFlip may change the image geometry after the crop' in message
    assert 'use RandomFlipWithCoord instead of RandomFlip' in message


def test_plain_crop_without_coord_is_refused():
    message = rejection([dict(type='RandomResizedCrop', scale=32), FLIP])
    assert message.startswith('MultiViewWithCoord transforms[0] (views [0]): ')
    assert 'use RandomResizedCropWithCoord instead of RandomResizedCrop' in message


def test_view_without_any_coord_crop_is_refused():
    message = rejection([CROP], [JITTER])
    assert 'transforms[1] (views [1]): no transform produces coord' in message


def test_second_crop_is_refused():
    message = rejection([CROP, dict(type='RandomResizedCrop', scale=16)])
    assert 'RandomResizedCrop may change the image geometry after the crop' in message
    assert 'remove it' in message
    message = rejection([CROP, CROP])
    assert 'RandomResizedCropWithCoord produces coord' in message


@pytest.mark.parametrize(
    'geometric',
    [
        dict(type='Resize', scale=(16, 16)),
        dict(type='Rotate', angle=30.0, prob=1.0),
        dict(type='RandAugment', policies='timm_increasing', num_policies=2, magnitude_level=9),
        dict(type='RandomApply', transforms=[dict(type='Shear', magnitude=0.3)], prob=0.5),
        dict(type='RandomChoice', transforms=[[JITTER], [dict(type='RandomFlip', prob=1.0)]]),
    ],
)
def test_geometric_transforms_after_crop_are_refused(geometric):
    message = rejection([CROP, FLIP, geometric])
    assert message.startswith('MultiViewWithCoord transforms[0] (views [0])')
    assert 'may change the image geometry' in message


def test_rejection_names_the_wrapper_and_the_views_of_a_shared_pipeline():
    with pytest.raises(ValueError) as info:
        TRANSFORMS.build(
            dict(
                type='MultiViewWithCoord',
                num_views=[1, 2],
                transforms=[
                    [CROP],
                    [
                        CROP,
                        dict(
                            type='RandomApply',
                            prob=0.5,
                            transforms=[dict(type='Rotate', angle=10.0)],
                        ),
                    ],
                ],
            )
        )
    assert str(info.value).startswith(
        'MultiViewWithCoord transforms[1] (views [1, 2]), inside RandomApply: '
        'Rotate may change the image geometry after the crop'
    )


def test_geometric_transform_before_crop_is_refused():
    message = rejection([dict(type='Resize', scale=(64, 64)), CROP])
    assert 'Resize may change the image geometry before the coord crop' in message


def test_custom_transforms_must_declare_themselves():
    message = rejection([CROP, SneakyRotate()])
    assert 'SneakyRotate' in message
    assert 'declare `preserves_geometry = True`' in message
    assert '`updates_coord = True`' in message
    # Subclasses of allow-listed classes are not trusted implicitly.
    assert 'ShiftedJitter' in rejection([CROP, ShiftedJitter(brightness=0.4)])


def test_coord_updates_need_a_crop_first():
    message = rejection([FLIP, CROP])
    assert 'RandomFlipWithCoord updates coord, so it must come after' in message


def test_crop_inside_a_wrapper_is_refused():
    message = rejection([CROP, dict(type='RandomApply', transforms=[CROP])])
    assert 'not inside a wrapper' in message


def test_runtime_guard_catches_a_size_change():
    multi_view = build([CROP], [CROP, FLIP, SneakyResize()])
    image = np.zeros((40, 50, 3), np.uint8)
    with pytest.raises(
        RuntimeError,
        match=re.escape(
            'MultiViewWithCoord transforms[1] (view 1): SneakyResize changed the image size '
            'from (32, 32) to (16, 16)'
        ),
    ):
        multi_view(dict(img=image))
