"""benchmark_train.py's PCD head measurement runs and reports time and memory."""

import argparse

from tests.conftest import load_script


def test_pcd_head_measurement(repo_root, one_thread):
    tool = load_script('tools/analysis_tools/benchmark_train.py')
    args = argparse.Namespace(batch=2, queue_len=128, device='cpu', repeat=1, size=224, depth=50)
    for impl in ('peer', 'mmpcd'):
        row = tool.measure_here('pcd_head', impl, args)
        assert row['algo'] == 'pcd_head' and row['impl'] == impl
        assert row['seconds'] > 0 and row['peak_extra_bytes'] >= 0
