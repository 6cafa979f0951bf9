"""Evaluation: the dense linear probe."""

from .dense_probe import (
    DenseProbeResult,
    DenseProbeSettings,
    ProbeData,
    adapt_bn_statistics,
    build_probe_backbone,
    dataset_probe_data,
    probe_backbone,
    run_dense_probe,
    synthetic_probe_data,
)

__all__ = [
    'DenseProbeResult',
    'DenseProbeSettings',
    'ProbeData',
    'adapt_bn_statistics',
    'build_probe_backbone',
    'dataset_probe_data',
    'probe_backbone',
    'run_dense_probe',
    'synthetic_probe_data',
]
