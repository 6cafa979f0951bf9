"""mmengine's ``CheckpointHook`` that deletes old checkpoints only after the new one is saved."""

import os.path as osp
from collections import deque

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook
from mmengine.logging import print_log

from mmpcd.engine.runners.checkpoint_files import remove_stale_temporaries, write_text_atomically
from mmpcd.registry import HOOKS


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """``CheckpointHook`` whose saving order survives a kill at any moment.

    mmengine's hook deletes the oldest checkpoint (``max_keep_ckpts``) *before* writing the new
    one, so with ``max_keep_ckpts=1`` a kill during the save leaves no checkpoint at all. Here
    the new checkpoint is written first (atomically, by ``MMPCDRunner.save_checkpoint``),
    then ``last_checkpoint`` is replaced atomically, and only then are old checkpoints
    deleted. Temporary files of writers that were killed are removed when training starts.
    Arguments are ``CheckpointHook``'s.
    """

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if self.max_keep_ckpts > 0:
            self.keep_ckpt_ids = deque(self.keep_ckpt_ids)  # no maxlen: we pop ourselves
        if is_main_process() and osp.isdir(self.out_dir):
            for stale in remove_stale_temporaries(self.out_dir):
                print_log(f'removed {stale}, left by a save that was interrupted', logger='current')

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        obsolete = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            self.keep_ckpt_ids.append(step)
            while len(self.keep_ckpt_ids) > self.max_keep_ckpts:
                obsolete.append(self.keep_ckpt_ids.popleft())
            # Saved inside the new checkpoint, as mmengine does, so that a resumed run knows
            # which files it keeps.
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args,
        )
        if not is_main_process():
            return
        write_text_atomically(osp.join(runner.work_dir, 'last_checkpoint'), self.last_ckpt)
        for old in obsolete:
            path = self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(old))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
            elif self.file_backend.isdir(path):  # deepspeed checkpoints are directories
                self.file_backend.rmtree(path)
