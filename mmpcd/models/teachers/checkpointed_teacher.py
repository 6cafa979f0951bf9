"""A frozen teacher whose weights are read when training starts, never when it is built."""

import logging
from typing import List, Optional, Union

from mmengine.logging import print_log
from mmengine.model import BaseModule

from mmpcd.hub import CheckpointNotFoundError, resolve
from mmpcd.hub.resolve import Resolved
from mmpcd.utils.checkpoint import read_checkpoint

# The checkpoint value that keeps a randomly initialised teacher (smoke tests only).
RANDOM_TEACHER = 'random'


class CheckpointedTeacher(BaseModule):
    """Base of frozen teachers loaded from a checkpoint named in the config.

    Building the module reads nothing and touches no network: the checkpoint (a local file,
    a URL or a model of the zoo, fetched through the verified cache of :mod:`mmpcd.hub`) is
    read in :meth:`init_weights`, which the runner calls at the start of training whatever
    the entry point (``tools/train.py``, ``Runner.from_cfg(cfg).train()``, a notebook). The
    file is read weights-only unless ``trust`` (see :mod:`mmpcd.utils.checkpoint`).
    ``'random'`` keeps random weights, initialised like the student's, with a warning.
    All parameters have ``requires_grad=False``.

    Subclasses build their modules in ``__init__`` and implement :meth:`load_teacher_weights`;
    ``config_key`` and ``trust_switch`` name their config keys in messages.

    Args:
        checkpoint: See above.
        trust: Read the checkpoint with full unpickling (runs code the file names).
        init_cfg: Initialisation config of a random teacher.
    """

    config_key = 'model.teacher.checkpoint'
    trust_switch = 'model.teacher.trust=True'

    def __init__(
        self,
        checkpoint: Optional[str],
        trust: bool = False,
        init_cfg: Union[dict, List[dict], None] = None,
    ) -> None:
        super().__init__(init_cfg)
        if not checkpoint:
            raise ValueError(
                f'{type(self).__name__} has no checkpoint: set {self.config_key} '
                f'to the teacher\'s checkpoint, or "{RANDOM_TEACHER}" for a smoke '
                'test.'
            )
        self.checkpoint = checkpoint
        self.trust = trust

    @property
    def is_random(self) -> bool:
        return self.checkpoint == RANDOM_TEACHER

    def init_weights(self) -> None:
        """Read the checkpoint into the teacher (or initialise a random one) and freeze it."""
        if self.is_random:
            print_log(
                f'{type(self).__name__}: the teacher is RANDOM ({self.config_key}='
                f'{RANDOM_TEACHER!r}): the student learns from an untrained network. '
                'Only for smoke tests.',
                logger='current',
                level=logging.WARNING,
            )
            super().init_weights()
        else:
            resolved = self._resolve()
            checkpoint = read_checkpoint(resolved.path, trust=self.trust, switch=self.trust_switch)
            self.load_teacher_weights(checkpoint, resolved)
            self._is_init = True
        self.requires_grad_(False)

    def _resolve(self) -> Resolved:
        try:
            return resolve(self.checkpoint)
        except CheckpointNotFoundError as error:
            raise FileNotFoundError(
                f'{self.config_key} {self.checkpoint} does not exist and is not a teacher of the '
                f'model zoo ({error}). Download the teacher checkpoint or fix the path.'
            ) from None

    def load_teacher_weights(self, checkpoint: dict, resolved: Resolved) -> None:
        """Put the weights of ``checkpoint`` (read from ``resolved.path``; ``resolved.entry``
        is its zoo entry, if any) into the teacher, strictly."""
        raise NotImplementedError
