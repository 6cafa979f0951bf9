"""A hook for the distributed test: each rank records that it trained and what it holds."""
import json
import os.path as osp

from mmengine.dist import get_dist_info
from mmengine.hooks import Hook

from mmpcd.registry import HOOKS


@HOOKS.register_module()
class RankMarkerHook(Hook):
    """Writes ``<work_dir>/rank<k>.json`` with the world size, iterations run and a parameter
    checksum (equal on all ranks iff DDP kept them in sync)."""

    def after_train(self, runner) -> None:
        rank, world_size = get_dist_info()
        checksum = sum(float(p.detach().double().sum()) for p in runner.model.parameters())
        with open(osp.join(runner.work_dir, f'rank{rank}.json'), 'w') as f:
            json.dump(dict(rank=rank, world_size=world_size, iters=runner.iter,
                           checksum=checksum), f)
