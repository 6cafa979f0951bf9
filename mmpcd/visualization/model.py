"""The dense part of an algorithm (backbone, neck) built from its config, with its weights.

Every algorithm of mmpcd (DenseCL, PixPro, PixContrast, PCD) keeps its backbone under
``backbone.`` and its neck under ``neck.`` (PCD's MHSA under ``neck.mhsa.``), so
:class:`FeatureModel` uses the same attribute names and reads those keys of an algorithm
checkpoint as they are; the rest (momentum encoders, teachers, queues) is ignored.
"""

import logging
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.model import revert_sync_batchnorm
from torch import Tensor

from mmpcd.utils.checkpoint import (
    UntrustedCheckpointError,
    read_checkpoint,
    state_dict_of,
    strip_prefix,
)

# The configs' SelfSupDataPreprocessor (ImageNet statistics, RGB) when a config sets none.
DEFAULT_PREPROCESSOR = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])


class CheckpointMismatch(ValueError):
    """The checkpoint holds no weights for the model's backbone."""


class FeatureModel(nn.Module):
    """``backbone`` (and ``neck``) of an algorithm, run up to a named layer.

    Args:
        backbone: The backbone, returning a tuple of (N, C, H, W) maps.
        neck: The algorithm's neck or None.
        mean, std: Per-channel normalisation of 0-255 inputs.
        to_rgb: Whether the model takes RGB (else BGR) channels.
    """

    def __init__(
        self,
        backbone: nn.Module,
        neck: Optional[nn.Module],
        mean: Sequence[float],
        std: Sequence[float],
        to_rgb: bool,
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.neck = neck
        # Plain attributes, not buffers: they must not be looked for in checkpoints.
        self.mean = torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
        self.to_rgb = to_rgb

    @property
    def mhsa_layer(self) -> Optional[str]:
        """Name of PCD's MHSA: ``'neck.mhsa'`` (in ``PCDStudentNeck``), ``'neck'`` (the neck
        itself), or None."""
        from mmpcd.models.necks.mhsa import MHSA

        if isinstance(self.neck, MHSA):
            return 'neck'
        return 'neck.mhsa' if isinstance(getattr(self.neck, 'mhsa', None), MHSA) else None

    def preprocess(self, images: Tensor) -> Tensor:
        """RGB images (N, 3, H, W) in [0, 255] -> normalised model inputs (N, 3, H, W)."""
        if not self.to_rgb:
            images = images.flip(1)
        return (images - self.mean) / self.std

    def layer_names(self) -> List[str]:
        """Names accepted by :meth:`features`: ``'backbone'`` and every submodule."""
        return [name for name, _ in self.named_modules() if name]

    def feature_size(self, size: int, layer: str = 'backbone') -> Tuple[int, int]:
        """(h, w) of the map of ``layer`` for a ``size`` x ``size`` input."""
        height, width = self.features(torch.zeros(1, 3, size, size), layer).shape[2:]
        return height, width

    def features(self, inputs: Tensor, layer: str = 'backbone') -> Tensor:
        """The output map of ``layer`` for normalised inputs.

        Args:
            inputs: (N, 3, H, W) from :meth:`preprocess`.
            layer: A module name of this model (``'backbone'``, ``'backbone.layer3'``,
                ``'neck.mhsa'``, ...). For modules returning several maps (a backbone with
                several ``out_indices``) the last is taken.

        Returns:
            (N, C, h, w) map.
        """
        modules = dict(self.named_modules())
        if layer not in modules or not layer:
            raise KeyError(
                f'no layer {layer!r} in the model; choose one of: {", ".join(self.layer_names())}.'
            )
        captured: Dict[str, Tensor] = {}

        def hook(module: nn.Module, args: tuple, output) -> None:
            captured['out'] = output[-1] if isinstance(output, (tuple, list)) else output

        handle = modules[layer].register_forward_hook(hook)
        try:
            maps = self.backbone(inputs)
            if 'out' not in captured and self.neck is not None:
                self.neck(maps)
        finally:
            handle.remove()
        if 'out' not in captured:
            raise KeyError(
                f'layer {layer!r} is not reached by the forward pass of backbone and neck.'
            )
        out = captured['out']
        if not isinstance(out, Tensor) or out.dim() != 4:
            raise ValueError(
                f'layer {layer!r} returns {type(out).__name__} '
                f'{tuple(getattr(out, "shape", ()))}, not an (N, C, H, W) map.'
            )
        return out


def build_feature_model(
    config: str,
    checkpoint: Optional[str] = None,
    trust: bool = False,
    cfg_options: Optional[dict] = None,
) -> FeatureModel:
    """Backbone and neck of the algorithm in ``config``, in eval mode and without gradients.

    Args:
        config: An mmpcd algorithm config (``model.backbone``, optional ``model.neck``).
        checkpoint: A checkpoint of that algorithm; None initialises the weights as training
            would (``init_weights``).
        trust: Read the checkpoint with full unpickling (see
            :func:`mmpcd.utils.checkpoint.read_checkpoint`; ``tools/train.py`` output is read
            weights-only without it).
        cfg_options: Config overrides, ``{'model.backbone.zero_init_residual': True}``.
    """
    from mmpcd.registry import MODELS
    from mmpcd.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if 'backbone' not in cfg.model:
        raise ValueError(
            f'{config}: model has no backbone; the visualisation tools need an '
            'algorithm config with model.backbone (e.g. configs/pixpro/...).'
        )
    backbone = MODELS.build(cfg.model.backbone)
    neck = MODELS.build(cfg.model.neck) if cfg.model.get('neck') else None
    preprocessor = dict(DEFAULT_PREPROCESSOR)
    preprocessor.update(cfg.model.get('data_preprocessor') or cfg.get('data_preprocessor') or {})
    model = FeatureModel(
        backbone,
        neck,
        preprocessor['mean'],
        preprocessor['std'],
        bool(preprocessor.get('to_rgb', preprocessor.get('bgr_to_rgb', True))),
    )
    # SyncBN refuses CPU tensors; in eval mode both use the running statistics.
    model = revert_sync_batchnorm(model)
    if checkpoint is not None:
        load_weights(model, checkpoint, trust=trust)
    else:
        init_weights(model)
    return model.eval().requires_grad_(False)


def init_weights(model: FeatureModel) -> None:
    """Initialise backbone and neck as training starts (``init_cfg``, ``zero_init_residual``,
    ...), without mmengine's line-per-parameter report (logged at INFO when no work dir's log
    file exists)."""
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        for part in (model.backbone, model.neck):
            if hasattr(part, 'init_weights'):
                part.init_weights()
    finally:
        logger.setLevel(level)


def _checkpoint_state(checkpoint: dict) -> Dict[str, Tensor]:
    state = strip_prefix(state_dict_of(checkpoint, ('state_dict',)))
    return {key: value for key, value in state.items() if isinstance(value, Tensor)}


def load_weights(model: FeatureModel, path: str, trust: bool = False) -> Tuple[int, List[str]]:
    """Load the ``backbone.``/``neck.`` weights of an algorithm checkpoint into ``model``.

    Returns:
        The number of tensors loaded and the model keys the checkpoint lacks (reported, since
        e.g. a DenseCL checkpoint has no MHSA).

    Raises:
        CheckpointMismatch: if no backbone weight of the checkpoint fits the model.
    """
    try:
        checkpoint = read_checkpoint(path, trust=trust, switch='--trust')
    except UntrustedCheckpointError as error:
        raise CheckpointMismatch(str(error)) from None
    state = _checkpoint_state(checkpoint)
    own = model.state_dict()
    loaded = [key for key, value in state.items() if key in own and own[key].shape == value.shape]
    # The teachers', momentum encoders' and queues' tensors are expected extras.
    model.load_state_dict({key: state[key] for key in loaded}, strict=False)
    if not any(key.startswith('backbone.') for key in loaded):
        found = sorted(state)[:5]
        raise CheckpointMismatch(
            f'{path} has no weights for this backbone: expected keys like '
            f'{next(iter(k for k in own if k.startswith("backbone.")))!r} with the shapes of '
            f'the config\'s model, found {found}. Use the checkpoint of an mmpcd algorithm '
            '(DenseCL, PixPro, PCD) built from the same config, or convert an official one '
            'with tools/model_converters/.'
        )
    missing = sorted(set(own) - set(loaded))
    if missing:
        print(
            f'[mmpcd] {path} has no weights for {len(missing)} tensors of the model (kept at '
            f'their initialisation), e.g. {missing[:3]}.'
        )
    return len(loaded), missing
