import mmcv
import numpy as np
import pytest

from mmpcd.datasets import mmcv_compat as compat  # importing mmpcd.datasets installs them

IMG = np.random.RandomState(0).randint(0, 256, (24, 32, 3)).astype(np.uint8)


def test_mmcv_adjust_hue_is_patched_on_import():
    import mmcv.image.photometric as photometric

    assert mmcv.adjust_hue is compat.adjust_hue
    assert photometric.adjust_hue is compat.adjust_hue


@pytest.mark.parametrize('backend', ['pillow', 'cv2'])
@pytest.mark.parametrize('factor', [-0.5, -0.1, -0.004, 0.0, 0.1, 0.5])
def test_adjust_hue_rotates_the_hue_channel_with_wrap_around(backend, factor):
    out = compat.adjust_hue(IMG, factor, backend=backend)
    assert out.shape == IMG.shape and out.dtype == IMG.dtype
    if int(factor * 255) == 0:
        # a zero shift only goes through the colour conversions
        assert np.abs(out.astype(int) - IMG).max() <= 8
    else:
        assert not np.array_equal(out, IMG)


def test_hue_shift_wraps_negative_factors_like_numpy_1():
    assert compat._hue_shift(0.1) == 25
    assert compat._hue_shift(-0.1) == 256 - 25
    assert compat._hue_shift(-0.5) == 256 - 127


@pytest.mark.parametrize('backend', ['pillow', 'cv2'])
def test_opposite_shifts_cancel_in_hsv_space(backend):
    there = compat.adjust_hue(IMG, 0.2, backend=backend)
    back = compat.adjust_hue(there, -0.2, backend=backend)
    # only HSV <-> BGR rounding separates the round trip from the input
    assert np.abs(back.astype(int) - IMG).mean() < 3


def test_color_jitter_with_hue_runs_on_numpy_2():
    from mmpretrain.datasets.transforms import ColorJitter

    jitter = ColorJitter(hue=0.5)
    for seed in range(20):  # about half of the draws are negative
        np.random.seed(seed)
        out = jitter(dict(img=IMG.copy()))['img']
        assert out.shape == IMG.shape


def test_adjust_hue_rejects_out_of_range_factors():
    with pytest.raises(ValueError, match='not in'):
        compat.adjust_hue(IMG, 0.6)
