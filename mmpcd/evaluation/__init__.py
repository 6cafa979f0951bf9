"""Evaluation: checked pre-trained loading (mmpcd's ``Pretrained`` init) and the dense probe."""
from .dense_probe import (DenseProbeResult, DenseProbeSettings, build_probe_backbone,
                          run_dense_probe)
from .pretrained import (CheckedPretrainedInit, LoadReport, PretrainedLoadError,
                         load_pretrained, read_checkpoint)

__all__ = [
    'CheckedPretrainedInit', 'DenseProbeResult', 'DenseProbeSettings', 'LoadReport',
    'PretrainedLoadError', 'build_probe_backbone', 'load_pretrained', 'read_checkpoint',
    'run_dense_probe'
]
