"""Evaluation: the dense linear probe."""
from .dense_probe import (DenseProbeResult, DenseProbeSettings, build_probe_backbone,
                          run_dense_probe)

__all__ = ['DenseProbeResult', 'DenseProbeSettings', 'build_probe_backbone', 'run_dense_probe']
