"""One PCD teacher checkpoint from the two places a config can name it.

PCD configs name the teacher in a top-level variable, ``teacher_checkpoint = ...``, used as
``model.teacher.checkpoint=teacher_checkpoint``. mmengine substitutes the variable when the
file is read, so ``--cfg-options teacher_checkpoint=X`` changes only the variable and
``--cfg-options model.teacher.checkpoint=Y`` only the model. :func:`resolve_teacher_checkpoint`
compares both with the values the config file itself gives and keeps the one the user
changed; both changed to different values is an error. ``teacher_checkpoint_trust`` /
``model.teacher.trust`` are combined the same way (either one trusts).
"""

import os.path as osp
from typing import Optional, Tuple

from mmengine.config import Config

from mmpcd.hub import CheckpointNotFoundError, find_entry
from mmpcd.hub.cache import is_url
from mmpcd.models.teachers import LAYOUTS, RANDOM_TEACHER
from mmpcd.utils.checkpoint import is_remote

TOP_KEY = 'teacher_checkpoint'
TRUST_KEY = 'teacher_checkpoint_trust'


def _has_checkpointed_teacher(cfg: Config) -> bool:
    teacher = cfg.get('model', {}).get('teacher')
    return TOP_KEY in cfg or (isinstance(teacher, dict) and 'checkpoint' in teacher)


def _as_written(cfg: Config) -> Tuple[Optional[str], Optional[str]]:
    """(``teacher_checkpoint``, ``model.teacher.checkpoint``) as the config file gives them;
    (None, None) for a config built in Python."""
    if not cfg.filename or not osp.isfile(cfg.filename):
        return None, None
    written = Config.fromfile(cfg.filename)
    teacher = written.get('model', {}).get('teacher') or {}
    return written.get(TOP_KEY), teacher.get('checkpoint')


def resolve_teacher_checkpoint(cfg: Config) -> Config:
    """Set ``cfg.model.teacher.checkpoint`` (and ``.trust``) to the teacher the user chose.

    Configs without a checkpointed teacher are returned unchanged.

    Raises:
        ValueError: if no checkpoint is set, or both keys were set to different values.
        FileNotFoundError: if it is neither ``'random'``, a file, a URL nor a zoo model
            (checked here, before anything is built; the file is read when training starts).
    """
    if not _has_checkpointed_teacher(cfg):
        return cfg
    written_top, written_model = _as_written(cfg)
    top, model = cfg.get(TOP_KEY), cfg.model.teacher.get('checkpoint')
    top_changed, model_changed = top != written_top, model != written_model
    if top_changed and model_changed and top != model:
        raise ValueError(
            f'The PCD teacher is set twice: {TOP_KEY}={top!r} and model.teacher.checkpoint='
            f'{model!r}. Set only one of them (the top-level {TOP_KEY} is the usual one).'
        )
    if top_changed:
        checkpoint = top
    elif model_changed:
        checkpoint = model
    else:
        checkpoint = model or top
    if not checkpoint:
        raise ValueError(
            f'{TOP_KEY} is not set: PCD distils a pretrained teacher. Pass --cfg-options '
            f'{TOP_KEY}=PATH (a file, URL or model-zoo name, and model.teacher.layout=... if it '
            f'is not an official MoCo v3 checkpoint; layouts: {list(LAYOUTS)}), or '
            f'{TOP_KEY}={RANDOM_TEACHER} for a smoke test with a random teacher.'
        )
    _check_exists(checkpoint)
    cfg.model.teacher.checkpoint = checkpoint
    if cfg.get(TRUST_KEY, False):
        cfg.model.teacher.trust = True
    return cfg


def _check_exists(checkpoint: str) -> None:
    if (
        checkpoint == RANDOM_TEACHER
        or osp.isfile(checkpoint)
        or is_url(checkpoint)
        or is_remote(checkpoint)
    ):
        return
    try:
        find_entry(checkpoint)
    except CheckpointNotFoundError as error:
        raise FileNotFoundError(
            f'{TOP_KEY} {checkpoint} does not exist and is not a teacher of the model zoo '
            f'({error}). Download the teacher checkpoint or fix the path.'
        ) from None
