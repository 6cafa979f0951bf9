"""Online dense linear probe during pre-training, the pixel-level counterpart of solo-learn's
online linear probe and lightly's kNN monitor."""

import copy
import random
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmpcd.registry import HOOKS


class _RNGState:
    """Python, numpy and torch (CPU and CUDA) random states, captured and restored."""

    def __init__(self) -> None:
        self.python = random.getstate()
        self.numpy = np.random.get_state()
        self.torch = torch.get_rng_state()
        self.cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None

    def restore(self) -> None:
        random.setstate(self.python)
        np.random.set_state(self.numpy)
        torch.set_rng_state(self.torch)
        if self.cuda is not None:
            torch.cuda.set_rng_state_all(self.cuda)


@HOOKS.register_module()
class DenseProbeHook(Hook):
    """Every ``interval`` iterations (or epochs), fit and evaluate the frozen dense linear probe
    (:mod:`mmpcd.evaluation.dense_probe`) on a copy of the model's backbone and log
    ``dense_probe/mIoU`` and ``dense_probe/pixel_acc`` (in %) through the runner's visualizer
    (``vis_data/scalars.json``, TensorBoard, ...) and its logger.

    The training state is never changed: the probe runs on a deep copy of the backbone in eval
    mode without gradients, and the python, numpy and torch random states are restored
    afterwards, so a run with the hook gives bit-identical weights and losses to a run without
    it. It runs on the main process only (the other ranks wait at their next collective).

    Args:
        interval: Probe every ``interval`` iterations (epochs if ``by_epoch``). The end of
            training is always probed.
        by_epoch: Count ``interval`` in epochs.
        stages: Backbone outputs (``out_indices``) concatenated by the probe. Defaults to
            ``settings['stages']`` (ResNet C3-C5).
        settings: :class:`~mmpcd.evaluation.DenseProbeSettings` fields (splits, iterations,
            image size, ...).
        train_dataset / val_dataset: mmseg-style dataset configs to probe on instead of the
            synthetic splits; their pipelines must leave ``img`` and ``gt_seg_map`` of one
            fixed size (see :func:`~mmpcd.evaluation.dense_probe.dataset_probe_data`).
        backbone: Attribute path of the backbone in the (unwrapped) model, e.g.
            ``'student.backbone'`` for a distiller.
    """

    priority = 'LOW'

    def __init__(
        self,
        interval: int = 1000,
        by_epoch: bool = False,
        stages: Optional[Sequence[int]] = None,
        settings: Optional[dict] = None,
        train_dataset: Optional[dict] = None,
        val_dataset: Optional[dict] = None,
        backbone: str = 'backbone',
    ) -> None:
        if interval < 1:
            raise ValueError(f'DenseProbeHook interval must be >= 1, got {interval}.')
        if (train_dataset is None) != (val_dataset is None):
            raise ValueError(
                'DenseProbeHook needs both train_dataset and val_dataset, or '
                'neither (the synthetic splits).'
            )
        # Imported here: mmpcd.evaluation imports mmpcd.engine.runners, i.e. this package.
        from mmpcd.evaluation.dense_probe import DenseProbeSettings

        self.settings = DenseProbeSettings(**(settings or {}))
        if stages is not None:
            self.settings.stages = tuple(stages)
        self.interval = interval
        self.by_epoch = by_epoch
        self.datasets = (train_dataset, val_dataset)
        self.backbone_path = backbone
        self._data = None
        self._last_probed = None

    def before_train(self, runner) -> None:
        if not is_main_process():
            return
        from mmpcd.evaluation.dense_probe import dataset_probe_data, synthetic_probe_data

        rng = _RNGState()  # the probe data is generated once, outside the training RNG
        try:
            if self.datasets[0] is None:
                self._data = synthetic_probe_data(self.settings)
            else:
                self._data = dataset_probe_data(*self.datasets)
        finally:
            rng.restore()
        self._backbone(runner)  # fail before the first iteration if it cannot be found

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not self.by_epoch and (
            self.every_n_train_iters(runner, self.interval) or self.is_last_train_iter(runner)
        ):
            self._probe(runner)

    def after_train_epoch(self, runner) -> None:
        if self.by_epoch and (
            self.every_n_epochs(runner, self.interval) or self.is_last_train_epoch(runner)
        ):
            self._probe(runner)

    def _backbone(self, runner) -> torch.nn.Module:
        module = runner.model.module if is_model_wrapper(runner.model) else runner.model
        for name in self.backbone_path.split('.'):
            if not hasattr(module, name):
                raise AttributeError(
                    f'DenseProbeHook: the model ({type(module).__name__}) has no '
                    f'{name!r} on the path {self.backbone_path!r}; set the hook\'s backbone= '
                    'to the attribute path of the network to probe.'
                )
            module = getattr(module, name)
        if not hasattr(module, 'out_indices'):
            raise TypeError(
                f'DenseProbeHook: {type(module).__name__} has no out_indices, so the probe '
                'cannot choose its stages; probe an mmpretrain/mmseg/mmdet backbone.'
            )
        return module

    def _probe(self, runner) -> None:
        step = runner.epoch if self.by_epoch else runner.iter + 1
        if not is_main_process() or step == self._last_probed:
            return
        from mmpcd.evaluation.dense_probe import probe_backbone

        self._last_probed = step
        rng = _RNGState()
        try:
            with torch.no_grad():
                backbone = copy.deepcopy(self._backbone(runner))
            backbone.out_indices = tuple(self.settings.stages)
            backbone.eval()
            backbone.requires_grad_(False)
            result = probe_backbone(backbone, self._data, self.settings)
            del backbone
        finally:
            rng.restore()
        scores = {
            'dense_probe/mIoU': 100 * result.miou,
            'dense_probe/pixel_acc': 100 * result.pixel_acc,
        }
        runner.visualizer.add_scalars(scores, step=runner.iter + 1)
        unit = 'epoch' if self.by_epoch else 'iter'
        runner.logger.info(
            f'dense probe at {unit} {step}: mIoU {scores["dense_probe/mIoU"]:.2f}'
            f'  pixel acc {scores["dense_probe/pixel_acc"]:.2f}'
        )
