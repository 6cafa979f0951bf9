"""The queue module shared by DenseCL and PCD, and the crop-box reader of PixPro and PCD."""

import pytest
import torch
from mmpretrain.structures import DataSample

from mmpcd.models.utils import check_batch_fits, crop_boxes, enqueue


def test_enqueue_wraps_around_partial_batches():
    queue, ptr = torch.zeros(2, 5), torch.zeros(1, dtype=torch.long)
    for n, start in ((2, 0), (2, 2), (3, 4)):
        keys = torch.arange(start, start + n, dtype=torch.float).unsqueeze(1).repeat(1, 2)
        enqueue(queue, ptr, keys)
    # 7 keys into 5 columns: 5 and 6 overwrote 0 and 1.
    assert queue[0].tolist() == [5.0, 6.0, 2.0, 3.0, 4.0] and int(ptr) == 2


def test_enqueue_writes_what_the_slice_write_writes_for_whole_batches():
    queue, ptr = torch.randn(3, 8), torch.zeros(1, dtype=torch.long)
    expected = queue.clone()
    for step in range(3):
        keys = torch.randn(4, 3)
        at = (4 * step) % 8
        expected[:, at : at + 4] = keys.t()
        enqueue(queue, ptr, keys)
    assert torch.equal(queue, expected)


def test_a_batch_larger_than_the_queue_is_refused():
    check_batch_fits(8, 8, 'X')
    with pytest.raises(
        ValueError,
        match=r'X queue_len \(8\) is smaller than the global batch '
        r'size \(9 per process x 1 processes = 9\)',
    ):
        check_batch_fits(8, 9, 'X')


def sample(coord=None) -> DataSample:
    data = DataSample()
    if coord is not None:
        data.set_field(coord, 'coord')
    return data


def test_crop_boxes_are_fp32_and_every_sample_is_checked():
    boxes = crop_boxes(
        [sample(torch.ones(2, 4, dtype=torch.float64)), sample([[0, 0, 1, 1], [1, 1, 2, 2]])],
        torch.device('cpu'),
        'PCD',
    )
    assert boxes.shape == (2, 2, 4) and boxes.dtype == torch.float32
    # main's PCD looked at the first sample only.
    with pytest.raises(
        ValueError,
        match=r'PCD needs the crop box.*\(1 of 2 have none\).*'
        'MultiViewWithCoord',
    ):
        crop_boxes([sample(torch.ones(2, 4)), sample()], torch.device('cpu'), 'PCD')
    with pytest.raises(ValueError, match='none given'):
        crop_boxes([], torch.device('cpu'), 'PixPro')
