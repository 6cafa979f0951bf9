"""Compile and link the CUDA sources of mmpcd._ext with nvcc, even without a GPU.

Runs where nvcc exists (CI's machine has one); links against torch's CUDA libraries and the
CUDA runtime of the nvidia wheels torch depends on. Catches CUDA code that does not build
before it reaches a GPU machine.
"""

import glob
import os.path as osp
import shutil
import subprocess

import pytest
import torch
from torch.utils import cpp_extension

from tests.conftest import REPO_ROOT

CSRC = osp.join(REPO_ROOT, 'mmpcd', 'ops', 'csrc')
NVCC = shutil.which('nvcc')

pytestmark = pytest.mark.skipif(
    NVCC is None or torch.version.cuda is None,
    reason='needs nvcc and a CUDA build of torch to compile the CUDA sources',
)


def nvidia_wheel_includes() -> list:
    """Headers of the CUDA libraries torch's wheels ship (cuSPARSE, cuBLAS, ...), which torch's
    CUDA headers include and a bare nvcc install may lack."""
    import nvidia

    return [f'-I{d}' for root in nvidia.__path__ for d in glob.glob(osp.join(root, '*', 'include'))]


def cuda_runtime_dir() -> str:
    import nvidia

    for root in nvidia.__path__:
        found = glob.glob(osp.join(root, '*', 'lib', 'libcudart.so*')) + glob.glob(
            osp.join(root, 'cuda_runtime', 'lib', 'libcudart.so*')
        )
        if found:
            return osp.dirname(found[0])
    pytest.skip('the CUDA runtime of the nvidia wheels was not found')


def test_cuda_sources_compile_and_link(tmp_path):
    includes = [f'-I{d}' for d in cpp_extension.include_paths(device_type='cuda')]
    includes += [f'-I{osp.join(CSRC, "common")}', f'-I{osp.join(CSRC, "common", "cuda")}']
    includes += nvidia_wheel_includes()
    objects = []
    for source in sorted(glob.glob(osp.join(CSRC, 'pytorch', 'cuda', '*.cu'))):
        obj = tmp_path / (osp.basename(source) + '.o')
        cmd = [
            NVCC,
            '-c',
            source,
            '-o',
            str(obj),
            '-std=c++20',
            '-O1',
            '--fmad=false',
            '-Xcompiler',
            '-fPIC',
            '-gencode=arch=compute_90,code=sm_90',
            '-DMMPCD_WITH_CUDA',
            '-DTORCH_EXTENSION_NAME=_ext',
            '-DTORCH_API_INCLUDE_EXTENSION_H',
            *cpp_extension.COMMON_NVCC_FLAGS,
            *includes,
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, f'{osp.basename(source)}:\n{result.stderr[-6000:]}'
        objects.append(str(obj))
    assert objects, 'no CUDA sources found'

    library = tmp_path / 'cuda_kernels.so'
    torch_lib = osp.join(osp.dirname(torch.__file__), 'lib')
    cmd = [
        'c++',
        '-shared',
        *objects,
        '-o',
        str(library),
        f'-L{torch_lib}',
        f'-L{cuda_runtime_dir()}',
        '-lc10',
        '-lc10_cuda',
        '-ltorch_cpu',
        '-ltorch_cuda',
        '-l:libcudart.so.' + torch.version.cuda.split('.')[0],
        '-Wl,--no-undefined',
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-6000:]
    symbols = subprocess.run(
        ['nm', '-D', '--defined-only', '-C', str(library)], capture_output=True, text=True
    ).stdout
    for launcher in (
        'coord_distance_cuda',
        'positive_pair_sum_cuda',
        'propagation_weight_cuda',
        'propagation_weight_grad_cuda',
        'argmax_update_cuda',
    ):
        assert launcher in symbols
    # The half-precision paths are instantiated, with float accumulators.
    kernels = subprocess.run(['nm', '-C', *objects], capture_output=True, text=True).stdout
    for kernel in (
        'positive_pair_sum_kernel',
        'propagation_weight_kernel',
        'propagation_weight_grad_kernel',
        'argmax_update_kernel',
    ):
        for dtype in ('c10::Half', 'c10::BFloat16', 'float', 'double'):
            acc = 'double' if dtype == 'double' else 'float'
            assert f'mmpcd::{kernel}<{dtype}, {acc}>' in kernels, (kernel, dtype)
