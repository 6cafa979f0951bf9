"""Writing the stage-1 token file."""

import os.path as osp
from typing import Optional

from mmengine.hooks import Hook
from mmpretrain.utils import get_ori_model

from mmpcd.registry import HOOKS

from .tokens import save_tokens


@HOOKS.register_module()
class ExportTokensHook(Hook):
    """Write the :class:`MaskLearner`'s tokens as a weights-only token file.

    The file (``<work_dir>/<filename>`` by default) holds only ``mask_modules.*`` and
    ``meta['maskd']`` naming the teacher checkpoint the tokens belong to; it is what
    ``MasKDLoss(tokens=...)`` reads in stage 2. Written after training and, with
    ``interval``, every ``interval`` iterations.

    Args:
        filename: File name in the work dir, or an absolute path.
        interval: Also export every ``interval`` iterations (0: only at the end).
    """

    priority = 'VERY_LOW'

    def __init__(self, filename: str = 'maskd_tokens.pth', interval: int = 0) -> None:
        self.filename = filename
        self.interval = interval

    def _export(self, runner) -> None:
        model = get_ori_model(runner.model)
        if not hasattr(model, 'mask_modules') or not hasattr(model, 'teacher_ckpt'):
            raise TypeError(
                f'ExportTokensHook needs a MaskLearner model; got {type(model).__name__}.'
            )
        if runner.rank != 0:
            return
        path = osp.join(runner.work_dir, self.filename)
        save_tokens(
            path,
            model.mask_modules,
            teacher_ckpt=model.teacher_ckpt,
            module=model.masked_module,
            iter=runner.iter,
        )
        runner.logger.info(f'MasKD tokens (teacher {model.teacher_ckpt}) written to {path}')

    def after_train_iter(
        self,
        runner,
        batch_idx: int,
        data_batch: Optional[dict] = None,
        outputs: Optional[dict] = None,
    ) -> None:
        if self.interval > 0 and self.every_n_train_iters(runner, self.interval):
            self._export(runner)

    def after_train(self, runner) -> None:
        self._export(runner)
