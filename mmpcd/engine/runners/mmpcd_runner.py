"""An mmengine ``Runner`` that works around two gaps of mmengine 0.10.7 on current PyTorch."""
import os
import warnings
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, Optional, Union

import torch
import torch.distributed as torch_dist
from mmengine.dist import is_distributed
from mmengine.model import is_model_wrapper, revert_sync_batchnorm
from mmengine.registry import MODEL_WRAPPERS
from mmengine.config import Config
from mmengine.runner import Runner
from torch import nn

from mmpcd.registry import RUNNERS


@contextmanager
def full_checkpoint_unpickling() -> Iterator[None]:
    """Let ``torch.load`` calls without an explicit ``weights_only`` unpickle full objects.

    mmengine 0.10.7 saves the message hub (``HistoryBuffer``, numpy arrays, builtins) in every
    checkpoint and loads it with a bare ``torch.load``; torch >= 2.6 defaults that to
    ``weights_only=True`` and refuses. Use this only around checkpoints the user chose to
    trust (their own ``resume``/``load_from``), never for downloaded weights.
    """
    key = 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'
    previous = os.environ.get(key)
    os.environ[key] = '1'
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                'ignore', message='Environment variable TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD')
            yield
    finally:
        if previous is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = previous


@RUNNERS.register_module()
class MMPCDRunner(Runner):
    """mmengine ``Runner`` plus what the pinned stack needs to train and resume anywhere.

    - **Resume / load_from** of mmengine's own full checkpoints works under torch >= 2.6 (see
      :func:`full_checkpoint_unpickling`). ``init_cfg``-style pretrained loading is untouched
      and stays ``weights_only``.
    - **CPU-only distributed runs** with ``--launcher pytorch`` (torchrun + gloo, e.g.
      ``tools/dist_train.sh cfg 2`` on a laptop or in CI): mmengine's ``init_dist`` always
      calls ``torch.cuda.set_device`` and wraps the model with ``device_ids=[LOCAL_RANK]``,
      both of which fail without a GPU, and ``SyncBatchNorm`` refuses CPU tensors inside a
      process group. Without CUDA this runner initialises a gloo group itself, reverts SyncBN
      to BN and wraps with ``device_ids=None``. With CUDA it behaves exactly like ``Runner``.

    Selected with ``runner_type = 'MMPCDRunner'`` (set in ``configs/_base_/default_runtime.py``).
    """

    def setup_env(self, env_cfg: Dict) -> None:
        if (self.launcher == 'pytorch' and not is_distributed()
                and not torch.cuda.is_available()):
            dist_cfg = dict(env_cfg.get('dist_cfg', {}))
            if dist_cfg.pop('backend', 'gloo') != 'gloo':
                self._log_before_logger('CUDA is not available: using the gloo backend instead '
                                        'of the configured one.')
            # torchrun exports MASTER_ADDR, MASTER_PORT, RANK and WORLD_SIZE.
            torch_dist.init_process_group(backend='gloo', **dist_cfg)
        super().setup_env(env_cfg)

    @staticmethod
    def _log_before_logger(message: str) -> None:
        # setup_env runs before the runner's logger exists.
        print(f'[mmpcd] {message}', flush=True)

    def wrap_model(self, model_wrapper_cfg: Optional[Dict],
                   model: nn.Module) -> nn.Module:
        if not self.distributed or torch.cuda.is_available() or is_model_wrapper(model):
            return super().wrap_model(model_wrapper_cfg, model)
        model = revert_sync_batchnorm(model.to('cpu'))
        wrapper_cfg = dict(model_wrapper_cfg or dict(
            type='MMDistributedDataParallel',
            broadcast_buffers=False,
            find_unused_parameters=self.cfg.get('find_unused_parameters', False)))
        wrapper_cfg.setdefault('type', 'MMDistributedDataParallel')
        wrapper_cfg['device_ids'] = None  # DDP on CPU modules must not name devices
        return MODEL_WRAPPERS.build(wrapper_cfg, default_args=dict(module=model))

    def load_checkpoint(self,
                        filename: str,
                        map_location: Union[str, Callable] = 'cpu',
                        strict: bool = False,
                        revise_keys: list = [(r'^module.', '')]):
        """Load a full mmengine checkpoint that the user chose (``resume``/``load_from``)."""
        with full_checkpoint_unpickling():
            return super().load_checkpoint(
                filename, map_location=map_location, strict=strict, revise_keys=revise_keys)


def build_runner(cfg: Config) -> Runner:
    """Build ``cfg``'s runner: its ``runner_type`` if set, else :class:`MMPCDRunner`.

    Configs inherited from mmdet/mmseg/mmpretrain have no ``runner_type``; they still get the
    resume and CPU-distributed fixes.
    """
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return MMPCDRunner.from_cfg(cfg)
