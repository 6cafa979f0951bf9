"""The random number generators' states (python, numpy, torch CPU and CUDA), saved in
checkpoints so that a resumed run draws the same augmentations as an uninterrupted one.

mmengine seeds the generators when a run starts and never saves their states, so a resumed
run replays the draws of the start of training. With ``num_workers=0`` the augmentations are
drawn in the main process, and restoring these states makes resuming bit-exact (workers
reseed themselves from the sampler's seed and epoch). Every rank has its own states: they are
gathered into the checkpoint and each rank takes back its own.
"""

import random
from typing import Any, Dict, List, Optional

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size

States = Dict[str, Any]


def capture() -> States:
    """This process's generator states."""
    states = dict(
        python=random.getstate(), numpy=np.random.get_state(), torch=torch.get_rng_state()
    )
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states['cuda'] = torch.cuda.get_rng_state_all()
    return states


def gather() -> List[States]:
    """The states of every rank, in rank order (a collective: call it on all ranks)."""
    states = capture()
    return all_gather_object(states) if get_world_size() > 1 else [states]


def restore(per_rank: Optional[List[States]]) -> Optional[str]:
    """Set this rank's generators from :func:`gather`'s list; returns why not, or None."""
    if not per_rank:
        return 'the checkpoint holds no RNG states (written before mmpcd saved them)'
    if len(per_rank) != get_world_size():
        return (
            f'the checkpoint holds the RNG states of {len(per_rank)} processes, this run '
            f'has {get_world_size()}'
        )
    states = per_rank[get_rank()]
    random.setstate(states['python'])
    np.random.set_state(states['numpy'])
    torch.set_rng_state(states['torch'])
    if 'cuda' in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states['cuda'])
    return None
