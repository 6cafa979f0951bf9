"""Hooks that break a training run for real, for the fault-tolerance tests (issue 13)."""
import os
import signal

from mmengine.dist import get_rank
from mmengine.fileio.backends.local_backend import LocalBackend
from mmengine.hooks import Hook

from mmpcd.registry import HOOKS


@HOOKS.register_module()
class KillDuringSaveHook(Hook):
    """SIGKILLs the process in the middle of writing its ``at_save``-th checkpoint: half of
    the bytes reach the file the runner writes (as when a job is killed on a slow disk)."""

    def __init__(self, at_save: int = 2) -> None:
        self.at_save = at_save
        self.saves = 0

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        self.saves += 1
        if self.saves != self.at_save:
            return

        def put_half_then_die(backend, obj: bytes, filepath) -> None:
            with open(filepath, 'wb') as file:
                file.write(obj[:len(obj) // 2])
                file.flush()
                os.fsync(file.fileno())
            os.kill(os.getpid(), signal.SIGKILL)

        LocalBackend.put = put_half_then_die


@HOOKS.register_module()
class StopRankHook(Hook):
    """SIGSTOPs rank ``rank`` before iteration ``at_iter`` (a frozen process: alive, silent)."""

    def __init__(self, rank: int = 1, at_iter: int = 1) -> None:
        self.rank = rank
        self.at_iter = at_iter

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if get_rank() == self.rank and runner.iter == self.at_iter:
            with open(os.path.join(runner.work_dir, f'stopped_rank{self.rank}.pid'), 'w') as f:
                f.write(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGSTOP)
