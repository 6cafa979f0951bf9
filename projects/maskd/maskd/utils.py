"""Building, loading and freezing the models around MasKD."""

import logging
from functools import partial
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.config import ConfigDict
from mmengine.logging import print_log
from mmengine.runner.checkpoint import _load_checkpoint_to_model

from mmpcd.hub import CheckpointNotFoundError, resolve
from mmpcd.registry import MODELS
from mmpcd.utils.checkpoint import read_checkpoint
from mmpcd.utils.config_package import model_config_of

ModelCfg = Union[dict, ConfigDict, nn.Module]
# The checkpoint / token file value of smoke tests: random teacher, random tokens.
RANDOM = 'random'


def build_model(cfg: ModelCfg) -> nn.Module:
    """Build a model from a config dict, a module, or ``dict(cfg_path='mmdet::...')``.

    ``cfg_path`` names a config of an installed OpenMMLab package (as mmrazor's
    ``architecture=dict(cfg_path=..., pretrained=False)``); its ``model`` is built in that
    package's scope.
    """
    if isinstance(cfg, nn.Module):
        return cfg
    cfg = ConfigDict(cfg)
    if 'cfg_path' in cfg:
        extra = set(cfg) - {'cfg_path', 'pretrained'}
        if extra or cfg.get('pretrained', False):
            raise ValueError(
                f'dict(cfg_path=...) takes only cfg_path and pretrained=False; '
                f'got {sorted(cfg)}. Override model fields in a full config.'
            )
        cfg = model_config_of(cfg.cfg_path)
    return MODELS.build(cfg)


def fetch_checkpoint(filename: str, config_key: str, trust: bool = False) -> str:
    """The local file behind ``filename`` (a path, a URL or a model of mmpcd's zoo), URLs
    downloaded once into mmpcd's verified cache (:func:`mmpcd.hub.resolve`; offline, its error
    names the cache path to fill by hand). ``config_key`` names the setting in errors."""
    try:
        return resolve(filename, trust=trust).path
    except CheckpointNotFoundError as error:
        raise FileNotFoundError(
            f'{config_key}={filename} does not exist and is neither a URL '
            f'nor a model of the zoo ({error}).'
        ) from None


def load_teacher_checkpoint(
    teacher: nn.Module,
    filename: str,
    trust: bool = False,
    switch: str = 'model.teacher_ckpt_trust=True',
) -> None:
    """Load ``filename`` (a path, URL or zoo name, see :func:`fetch_checkpoint`) into
    ``teacher`` strictly (a teacher with missing weights would silently teach noise).

    The file is read weights-only (mmengine training checkpoints and the OpenMMLab releases
    are), through :func:`mmpcd.utils.checkpoint.read_checkpoint`; ``trust`` (the config's
    ``model.teacher_ckpt_trust=True``, named by ``switch`` in the error) allows full
    unpickling.
    """
    path = fetch_checkpoint(filename, 'model.teacher_ckpt', trust)
    checkpoint = read_checkpoint(path, trust=trust, switch=switch)
    _load_checkpoint_to_model(teacher, checkpoint, strict=True)
    # Keep BaseModule.init_weights (called by the runner) from re-initialising it.
    teacher._is_init = True


class LazyTeacherCheckpoint:
    """A teacher's checkpoint read into it once, at the start of training (the model's
    ``init_weights``, which every runner calls) or at its first use, never while the model
    is built: building a config touches no file and no network (as PCD's
    :class:`mmpcd.models.teachers.CheckpointedTeacher`).

    Args:
        filename: Path, URL or zoo name; ``'random'`` keeps the teacher random (smoke tests);
            ``None`` for a teacher module passed in already trained (``required=False``).
        trust: Read it with full unpickling (``model.teacher_ckpt_trust=True``).
        required: The teacher was built from a config, so it needs ``filename``.
    """

    def __init__(self, filename: Optional[str], trust: bool = False, required: bool = True) -> None:
        self.filename = filename
        self.trust = trust
        self.required = required
        self.loaded = False

    def load_into(self, teacher: nn.Module) -> None:
        if self.loaded:
            return
        if self.filename is None and self.required:
            raise ValueError(
                'model.teacher_ckpt is not set: name the teacher\'s checkpoint '
                '(a path, URL or zoo name), e.g. --cfg-options '
                'model.teacher_ckpt=work_dirs/<teacher run>/iter_8.pth.'
            )
        if self.filename == RANDOM:
            print_log(
                'MasKD: the teacher is RANDOM (model.teacher_ckpt=\'random\'): only for '
                'smoke tests.',
                logger='current',
                level=logging.WARNING,
            )
        elif self.filename is not None:
            load_teacher_checkpoint(teacher, self.filename, self.trust)
        self.loaded = True


def freeze(module: nn.Module) -> nn.Module:
    """``requires_grad=False`` on every parameter and eval mode."""
    module.requires_grad_(False)
    return module.eval()


def check_same_preprocessing(student: nn.Module, teacher: nn.Module) -> None:
    """Both models read the student's preprocessed batch: their normalisation must agree."""
    for name in ('mean', 'std'):
        s = getattr(student.data_preprocessor, name, None)
        t = getattr(teacher.data_preprocessor, name, None)
        if (s is None) != (t is None) or (s is not None and not torch.allclose(s, t)):
            raise ValueError(
                f'Student and teacher data preprocessors differ in {name} '
                f'({None if s is None else s.flatten().tolist()} vs '
                f'{None if t is None else t.flatten().tolist()}); the teacher '
                f'sees the student\'s batch, so give both the same '
                f'normalisation.'
            )
    # mmengine/mmdet name it _channel_conversion, mmseg channel_conversion.
    for name in ('_channel_conversion', 'channel_conversion'):
        s = getattr(student.data_preprocessor, name, None)
        t = getattr(teacher.data_preprocessor, name, None)
        if s != t:
            raise ValueError(
                f'Student and teacher data preprocessors differ in {name} '
                f'({s} vs {t}); give both the same channel order.'
            )


def _drop_keys(
    prefixes: Sequence[str], module: nn.Module, state_dict: dict, prefix: str, local_metadata: dict
) -> None:
    for key in [k for k in state_dict if k[len(prefix) :].startswith(tuple(prefixes))]:
        del state_dict[key]


def _ignore_missing(prefixes: Sequence[str], module: nn.Module, incompatible_keys) -> None:
    missing = incompatible_keys.missing_keys
    missing[:] = [k for k in missing if not k.startswith(tuple(prefixes))]


def exclude_from_state_dict(model: nn.Module, prefixes: Sequence[str]) -> None:
    """Leave the sub-modules under ``prefixes`` out of ``model.state_dict()`` and do not
    report them missing when loading: for frozen parts rebuilt from their own files (teacher,
    tokens), so checkpoints hold what training changes and stay small."""
    model._register_state_dict_hook(partial(_drop_keys, tuple(prefixes)))
    model.register_load_state_dict_post_hook(partial(_ignore_missing, tuple(prefixes)))
