"""RandomResizedCropWithCoord and RandomFlipWithCoord on their own, plus colour transforms."""

import mmcv
import numpy as np
import pytest
from mmcv.transforms import RandomFlip
from mmpretrain.datasets.transforms import RandomResizedCrop

from mmpcd.datasets.transforms import RandomFlipWithCoord, RandomResizedCropWithCoord
from mmpcd.registry import TRANSFORMS
from mmpcd.utils import register_all_modules

HEIGHT, WIDTH = 97, 131

# mmpretrain's ColorJitter saturates with mmcv's pillow backend, which warns on every call.
pytestmark = pytest.mark.filterwarnings("ignore:Only use 'alpha' for pillow backend")


@pytest.fixture(scope='module', autouse=True)
def _mmpcd_scope():
    register_all_modules()


@pytest.fixture(scope='module')
def image() -> np.ndarray:
    return np.random.RandomState(0).randint(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)


def crop_with_coord(image: np.ndarray, seed: int = 0, **kwargs) -> dict:
    np.random.seed(seed)
    kwargs.setdefault('scale', 32)
    return RandomResizedCropWithCoord(**kwargs)(dict(img=image.copy()))


@pytest.mark.parametrize(
    'kwargs',
    [
        dict(scale=48, backend='cv2'),
        dict(
            scale=(40, 56), crop_ratio_range=(0.2, 1.0), interpolation='bicubic', backend='pillow'
        ),
        dict(scale=32, aspect_ratio_range=(3.0, 4.0), max_attempts=3),  # often the centre fallback
    ],
)
def test_crop_output_equals_mmpretrain_random_resized_crop(image, kwargs):
    ours, theirs = RandomResizedCropWithCoord(**kwargs), RandomResizedCrop(**kwargs)
    for seed in range(20):
        np.random.seed(seed)
        expected = theirs(dict(img=image.copy()))
        their_next_draw = np.random.rand()
        np.random.seed(seed)
        got = ours(dict(img=image.copy()))
        np.testing.assert_array_equal(got['img'], expected['img'])
        assert got['img_shape'] == expected['img_shape']
        # Same number of draws, so whatever follows the crop sees the same random stream.
        assert np.random.rand() == their_next_draw


def test_crop_box_is_inclusive_and_coord_is_it_normalised_by_size_minus_one(image):
    for seed in range(50):
        results = crop_with_coord(image, seed, scale=(24, 40), backend='cv2')
        x_ul, y_ul, x_lr, y_lr = results['crop_box'].astype(int)
        assert results['crop_box'].dtype == np.float32
        assert 0 <= x_ul <= x_lr < WIDTH and 0 <= y_ul <= y_lr < HEIGHT
        # The output is exactly the inclusive box, resized.
        expected = mmcv.imresize(image[y_ul : y_lr + 1, x_ul : x_lr + 1], (40, 24), backend='cv2')
        np.testing.assert_array_equal(results['img'], expected)

        coord = results['coord']
        assert coord.dtype == np.float32 and coord.shape == (4,)
        assert ((coord >= 0) & (coord <= 1)).all()
        scale = np.array([WIDTH - 1, HEIGHT - 1, WIDTH - 1, HEIGHT - 1], dtype=np.float64)
        np.testing.assert_allclose(coord * scale, results['crop_box'], atol=1e-4)
        assert results['coord_ori_shape'] == (HEIGHT, WIDTH)


@pytest.mark.parametrize(
    'aspect_ratio_range,box',
    [
        ((3.0 / 4.0, 4.0 / 3.0), [0, 0, 79, 59]),  # 4:3 is within range: the whole image
        ((1.0, 1.0), [10, 0, 69, 59]),  # too wide: the centred 60 x 60 square
    ],
)
def test_centre_fallback_box(aspect_ratio_range, box):
    image = np.zeros((60, 80, 3), np.uint8)
    results = crop_with_coord(image, aspect_ratio_range=aspect_ratio_range, max_attempts=0)
    np.testing.assert_array_equal(results['crop_box'], box)
    np.testing.assert_allclose(results['coord'], np.divide(box, [79, 59, 79, 59]), rtol=1e-6)


@pytest.mark.parametrize(
    'direction,order',
    [
        ('horizontal', [2, 1, 0, 3]),
        ('vertical', [0, 3, 2, 1]),
        ('diagonal', [2, 3, 0, 1]),
    ],
)
def test_flip_flips_image_and_swaps_box_entries(image, direction, order):
    cropped = crop_with_coord(image, seed=3)
    before = {key: np.copy(cropped[key]) for key in ('img', 'coord', 'crop_box')}
    results = RandomFlipWithCoord(prob=1.0, direction=direction)(cropped)
    np.testing.assert_array_equal(results['img'], mmcv.imflip(before['img'], direction))
    np.testing.assert_array_equal(results['coord'], before['coord'][order])
    np.testing.assert_array_equal(results['crop_box'], before['crop_box'][order])
    assert results['flip'] is True and results['flip_direction'] == direction


def test_flip_twice_restores_coord(image):
    cropped = crop_with_coord(image, seed=4)
    coord = cropped['coord'].copy()
    flip = RandomFlipWithCoord(prob=1)  # an int prob is accepted
    results = flip(flip(cropped))
    np.testing.assert_array_equal(results['coord'], coord)


def test_flip_not_taken_leaves_everything(image):
    cropped = crop_with_coord(image, seed=5)
    img, coord = cropped['img'].copy(), cropped['coord'].copy()
    results = RandomFlipWithCoord(prob=0.0)(cropped)
    np.testing.assert_array_equal(results['img'], img)
    np.testing.assert_array_equal(results['coord'], coord)
    assert results['flip'] is False and results['flip_direction'] is None


def test_flip_direction_list_draws_like_mmcv_random_flip(image):
    kwargs = dict(prob=[0.3, 0.3, 0.2], direction=['horizontal', 'vertical', 'diagonal'])
    ours, theirs = RandomFlipWithCoord(**kwargs), RandomFlip(**kwargs)
    seen = set()
    for seed in range(40):
        np.random.seed(seed)
        expected = theirs(dict(img=image.copy()))
        np.random.seed(seed)
        got = ours(dict(img=image.copy(), coord=np.zeros(4, np.float32)))
        assert got['flip_direction'] == expected['flip_direction']
        np.testing.assert_array_equal(got['img'], expected['img'])
        seen.add(got['flip_direction'])
    assert seen == {'horizontal', 'vertical', 'diagonal', None}


@pytest.mark.parametrize('prob', [0.0, 1.0])
def test_flip_before_crop_raises(image, prob):
    with pytest.raises(ValueError, match='after a coord-producing crop'):
        RandomFlipWithCoord(prob=prob)(dict(img=image.copy()))


@pytest.mark.parametrize(
    'cfg',
    [
        dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1),
        dict(
            type='RandomApply',
            prob=1.0,
            transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4)],
        ),
        dict(
            type='RandomGrayscale',
            prob=1.0,
            keep_channels=True,
            channel_weights=(0.114, 0.587, 0.2989),
        ),
        dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=1.0),
        dict(type='Solarize', thr=128, prob=1.0),
        dict(type='Normalize', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    ],
)
def test_colour_transforms_leave_coord_unchanged(image, cfg):
    cropped = crop_with_coord(image, seed=6)
    img = cropped['img'].copy()
    saved = {key: np.copy(cropped[key]) for key in ('coord', 'crop_box')}
    np.random.seed(0)
    results = TRANSFORMS.build(cfg)(cropped)
    assert results['img'].shape == img.shape
    assert not np.array_equal(results['img'], img)  # it did run
    for key, value in saved.items():
        np.testing.assert_array_equal(results[key], value)
    assert results['coord_ori_shape'] == (HEIGHT, WIDTH)


def test_registry_builds_ours_in_mmpcd_scope():
    crop = TRANSFORMS.build(dict(type='RandomResizedCropWithCoord', scale=16))
    flip = TRANSFORMS.build(dict(type='RandomFlipWithCoord', prob=0.5, direction='vertical'))
    assert type(crop) is RandomResizedCropWithCoord and crop.scale == (16, 16)
    assert type(flip) is RandomFlipWithCoord and flip.direction == 'vertical'
    # The parent's names still resolve in the same scope.
    assert type(TRANSFORMS.build(dict(type='RandomResizedCrop', scale=16))) is RandomResizedCrop
