"""The negative-key queues of DenseCL (two) and PCD (one): a ring buffer of (D, K) keys.

The algorithms keep the buffers themselves (``queue``/``queue_ptr``, ``queue2``/
``queue2_ptr``: the names mmpretrain's checkpoints use); this module checks and fills them.
Unlike the MoCo-style slice write, which needs ``K`` to be a multiple of the batch, a write
wraps around the end of the queue, so any global batch up to ``K`` fits, including the
partial last batch of a ``drop_last=False`` loader. For ``K`` a multiple of the batch the
two write the same columns.
"""

import torch
from mmengine.dist import all_gather, get_world_size
from torch import Tensor


def check_batch_fits(queue_len: int, batch_size: int, owner: str) -> None:
    """Refuse a global batch larger than the queue (its keys would overwrite each other).

    Args:
        queue_len: K.
        batch_size: Images of this process in the step.
        owner: Who owns the queue, for the message (``'DenseCL'``).
    """
    global_batch = batch_size * get_world_size()
    if global_batch > queue_len:
        raise ValueError(
            f'{owner} queue_len ({queue_len}) is smaller than the global batch size '
            f'({batch_size} per process x {get_world_size()} processes = {global_batch}): the '
            'keys of one step would overwrite each other. Raise queue_len or lower the batch '
            'size.'
        )


@torch.no_grad()
def enqueue(queue: Tensor, queue_ptr: Tensor, keys: Tensor) -> None:
    """Write the keys of all processes into ``queue`` at ``queue_ptr``, wrapping around.

    Args:
        queue: (D, K) buffer, updated in place.
        queue_ptr: (1,) long buffer, the next column to write; updated in place.
        keys: (N, D) keys of this process (gathered from all processes first).
    """
    keys = torch.cat(all_gather(keys), dim=0)
    num, queue_len = keys.size(0), queue.size(1)
    ptr = int(queue_ptr)
    first = min(num, queue_len - ptr)
    queue[:, ptr : ptr + first] = keys[:first].t()
    queue[:, : num - first] = keys[first:].t()
    queue_ptr[0] = (ptr + num) % queue_len
