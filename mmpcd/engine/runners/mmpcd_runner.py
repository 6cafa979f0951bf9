"""An mmengine ``Runner`` that reads checkpoints safely, writes them atomically and fails
clearly: what mmpcd's runs need beyond mmengine 0.10.7."""

import datetime
import os.path as osp
from typing import Callable, Dict, Optional, Union

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.dist import is_distributed, is_main_process
from mmengine.model import is_model_wrapper, revert_sync_batchnorm
from mmengine.registry import FUNCTIONS, MODEL_WRAPPERS
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint_to_model
from torch import nn
from torch.utils.data import DataLoader

from mmpcd.models.teachers import CheckpointedTeacher
from mmpcd.registry import RUNNERS
from mmpcd.utils.checkpoint import is_remote, read_checkpoint

from . import rng_states
from .checkpoint_files import commit, find_resumable_checkpoint, temporary_path
from .teacher_resolution import resolve_teacher_checkpoint

# The config key (``--trust`` of tools/train.py and tools/test.py) that lets ``load_from`` /
# ``--resume`` files be fully unpickled.
TRUST_KEY = 'load_from_trust'
# Default process-group timeout in seconds (``env_cfg.dist_cfg.timeout``).
DEFAULT_DIST_TIMEOUT = 1800


@RUNNERS.register_module()
class MMPCDRunner(Runner):
    """mmengine ``Runner`` plus what mmpcd's runs need.

    - **Checkpoints read weights-only**: ``load_from``/``--resume`` go through
      :func:`mmpcd.utils.checkpoint.read_checkpoint` (which reads mmengine's own training
      checkpoints); ``load_from_trust=True`` (``--trust``) allows full unpickling.
    - **Checkpoints written atomically**, with the RNG states of every rank (restored on
      resume, see :mod:`.rng_states`); ``resume=True`` without a file skips a truncated latest
      checkpoint (see :mod:`.checkpoint_files`). ``SafeCheckpointHook`` deletes old
      checkpoints only after the new one is in place.
    - **One PCD teacher**: ``teacher_checkpoint`` vs ``model.teacher.checkpoint`` is resolved
      once (:func:`.teacher_resolution.resolve_teacher_checkpoint`); a random teacher is
      logged as a warning and recorded as the scalar ``random_teacher`` = 1.
    - **A hung rank ends the job**: ``env_cfg.dist_cfg.timeout`` (seconds, default 1800) bounds
      every collective, and a timeout is reported as such.
    - **CPU-only distributed runs** with ``--launcher pytorch`` (torchrun + gloo, e.g.
      ``tools/dist_train.sh cfg 2`` on a laptop or in CI): mmengine's ``init_dist`` always
      calls ``torch.cuda.set_device`` and wraps the model with ``device_ids=[LOCAL_RANK]``,
      both of which fail without a GPU, and ``SyncBatchNorm`` refuses CPU tensors inside a
      process group. Without CUDA this runner initialises a gloo group itself, reverts SyncBN
      to BN and wraps with ``device_ids=None``. With CUDA it behaves exactly like ``Runner``.

    Selected with ``runner_type = 'MMPCDRunner'`` (set in ``configs/_base_/default_runtime.py``).
    """

    _loaded_rng_states = None

    @classmethod
    def from_cfg(cls, cfg: Config) -> 'MMPCDRunner':
        return super().from_cfg(resolve_teacher_checkpoint(cfg))

    def setup_env(self, env_cfg: Dict) -> None:
        dist_cfg = dict(env_cfg.get('dist_cfg', {}))
        dist_cfg.setdefault('timeout', DEFAULT_DIST_TIMEOUT)
        self._dist_timeout = dist_cfg['timeout']
        if self.launcher == 'pytorch' and not is_distributed() and not torch.cuda.is_available():
            if dist_cfg.pop('backend', 'gloo') != 'gloo':
                self._log_before_logger(
                    'CUDA is not available: using the gloo backend instead of the configured one.'
                )
            dist_cfg['timeout'] = datetime.timedelta(seconds=dist_cfg['timeout'])
            # torchrun exports MASTER_ADDR, MASTER_PORT, RANK and WORLD_SIZE.
            torch_dist.init_process_group(backend='gloo', **dist_cfg)
        super().setup_env(
            dict(env_cfg, dist_cfg=dict(env_cfg.get('dist_cfg', {}), timeout=self._dist_timeout))
        )

    @staticmethod
    def _log_before_logger(message: str) -> None:
        # setup_env runs before the runner's logger exists.
        print(f'[mmpcd] {message}', flush=True)

    def wrap_model(self, model_wrapper_cfg: Optional[Dict], model: nn.Module) -> nn.Module:
        if not self.distributed or torch.cuda.is_available() or is_model_wrapper(model):
            return super().wrap_model(model_wrapper_cfg, model)
        model = revert_sync_batchnorm(model.to('cpu'))
        wrapper_cfg = dict(
            model_wrapper_cfg
            or dict(
                type='MMDistributedDataParallel',
                broadcast_buffers=False,
                find_unused_parameters=self.cfg.get('find_unused_parameters', False),
            )
        )
        wrapper_cfg.setdefault('type', 'MMDistributedDataParallel')
        wrapper_cfg['device_ids'] = None  # DDP on CPU modules must not name devices
        return MODEL_WRAPPERS.build(wrapper_cfg, default_args=dict(module=model))

    # ---- data -------------------------------------------------------------------------------

    @staticmethod
    def build_dataloader(
        dataloader: Union[DataLoader, Dict],
        seed: Optional[int] = None,
        diff_rank_seed: bool = False,
    ) -> DataLoader:
        """mmengine's ``build_dataloader`` with ``collate_fn``'s ``_scope_`` resolved.

        A config inherited through ``pkg::`` gets ``_scope_`` in every dict with a ``type``,
        ``collate_fn`` included; mmengine 0.10.7 passes it on to the function as a keyword
        (``default_collate() got an unexpected keyword argument '_scope_'``).
        """
        return Runner.build_dataloader(_with_scoped_collate_fn(dataloader), seed, diff_rank_seed)

    # ---- training start ------------------------------------------------------------------

    def train(self) -> nn.Module:
        try:
            return super().train()
        except RuntimeError as error:
            if self.distributed and 'timed out' in str(error).lower():
                raise RuntimeError(
                    f'A collective operation timed out after {self._dist_timeout} s: another '
                    'process of the job stopped answering (hung, stopped or killed). Check '
                    'every rank\'s log; raise env_cfg.dist_cfg.timeout (seconds) if a step '
                    f'legitimately takes longer.\n{type(error).__name__}: {error}'
                ) from error
            raise

    def _init_model_weights(self) -> None:
        super()._init_model_weights()
        model = self.model.module if is_model_wrapper(self.model) else self.model
        random = [
            name
            for name, module in model.named_modules()
            if isinstance(module, CheckpointedTeacher) and module.is_random
        ]
        if random:
            self.logger.warning(
                f'RANDOM teacher ({", ".join(random)}): this run distils an '
                'untrained network (smoke tests only); recorded as the scalar '
                'random_teacher=1.'
            )
            self.visualizer.add_scalars(dict(random_teacher=1), step=0)

    # ---- reading checkpoints ---------------------------------------------------------------

    def load_checkpoint(
        self,
        filename: str,
        map_location: Union[str, Callable] = 'cpu',
        strict: bool = False,
        revise_keys: list = [(r'^module.', '')],
    ):
        """Load ``load_from``/``--resume``'s checkpoint through mmpcd's one reader."""
        trust = bool(self.cfg.get(TRUST_KEY, False))
        checkpoint = read_checkpoint(
            filename, map_location, trust=trust, switch=f'--trust (config: {TRUST_KEY}=True)'
        )
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) else self.model
        checkpoint = _load_checkpoint_to_model(model, checkpoint, strict, revise_keys=revise_keys)
        self._loaded_rng_states = checkpoint.get('meta', {}).get('rng_states')
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def resume(self, filename: str, *args, **kwargs) -> None:
        super().resume(filename, *args, **kwargs)
        skipped = rng_states.restore(self._loaded_rng_states)
        if skipped is not None:
            self.logger.warning(
                f'Random generators not restored: {skipped}; the resumed run '
                'draws other augmentations than an uninterrupted one would.'
            )

    def load_or_resume(self) -> None:
        """As mmengine's, but ``resume=True`` without a file skips truncated checkpoints."""
        if self._has_loaded or not self._resume or self._load_from is not None:
            return super().load_or_resume()
        latest = find_resumable_checkpoint(
            self.work_dir, lambda message: self.logger.warning(message)
        )
        if latest is None:
            self.logger.info(f'resume: no checkpoint in {self.work_dir}; training starts afresh.')
        else:
            self.logger.info(f'Auto resumed from the latest checkpoint {latest}.')
            self.resume(latest)
        self._has_loaded = True

    # ---- writing checkpoints ---------------------------------------------------------------

    def save_checkpoint(
        self,
        out_dir: str,
        filename: str,
        file_client_args: Optional[dict] = None,
        save_optimizer: bool = True,
        save_param_scheduler: bool = True,
        meta: Optional[dict] = None,
        by_epoch: bool = True,
        backend_args: Optional[dict] = None,
    ) -> None:
        """mmengine's ``save_checkpoint`` (on rank 0) plus the RNG states of every rank, written
        to a temporary file and renamed into place once it is whole on disk (local dirs)."""
        meta = dict(meta or {}, rng_states=rng_states.gather())  # a collective: every rank
        if not is_main_process():
            return
        local = file_client_args is None and backend_args is None and not is_remote(out_dir)
        path = osp.join(out_dir, filename)
        tmp = temporary_path(path) if local else path
        super().save_checkpoint(
            out_dir,
            osp.basename(tmp),
            file_client_args,
            save_optimizer,
            save_param_scheduler,
            meta,
            by_epoch,
            backend_args,
        )
        if local:
            commit(tmp, path)


def _with_scoped_collate_fn(dataloader: Union[DataLoader, Dict]) -> Union[DataLoader, Dict]:
    """``dataloader`` with ``collate_fn=dict(type=NAME, _scope_=S)`` replaced by the function
    ``NAME`` looked up in scope ``S`` (the other keys stay the function's keywords)."""
    collate_fn = dataloader.get('collate_fn') if isinstance(dataloader, dict) else None
    if not isinstance(collate_fn, dict) or '_scope_' not in collate_fn:
        return dataloader
    collate_fn = dict(collate_fn)
    scope = collate_fn.pop('_scope_')
    if isinstance(collate_fn.get('type'), str):
        with FUNCTIONS.switch_scope_and_registry(scope) as registry:
            collate_fn['type'] = registry.get(collate_fn['type'])
    return dict(dataloader, collate_fn=collate_fn)


def build_runner(cfg: Config) -> Runner:
    """Build ``cfg``'s runner: its ``runner_type`` if set, else :class:`MMPCDRunner`.

    Configs inherited from mmdet/mmseg/mmpretrain have no ``runner_type``; they still get the
    safe reading and writing of checkpoints and the CPU-distributed fixes.
    """
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return MMPCDRunner.from_cfg(cfg)
