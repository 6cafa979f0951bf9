"""Packaging for mmpcd. ``make setup`` installs it editable; ``pip install .`` also works."""

import glob
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

MIM_FILES = ('configs', 'tools', 'model-index.yml', 'projects', 'data')


def get_version() -> str:
    scope: dict = {}
    with open(osp.join('mmpcd', 'version.py')) as f:
        exec(compile(f.read(), 'mmpcd/version.py', 'exec'), scope)
    return scope['__version__']


def parse_requirements(fname: str) -> list:
    """Requirement lines of ``fname`` without comments and blank lines."""
    with open(fname) as f:
        lines = [line.split('#', 1)[0].strip() for line in f]
    return [line for line in lines if line]


def add_mim_extension() -> None:
    """Expose configs/, tools/, model-index.yml, projects/ (whose metafiles model-index.yml
    imports) and data/ (the demo photographs the demo configs find next to configs/) as
    ``mmpcd/.mim`` for MIM, mmengine's ``mmpcd::`` configs and the model zoo.

    Copies for sdist/wheel builds, symlinks for editable installs (``develop`` and the PEP 660
    ``editable_wheel`` that modern pip runs, which mmpretrain's version does not handle).
    """
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        mode = 'symlink'
    elif {'sdist', 'bdist_wheel', 'build', 'install'} & set(sys.argv):
        mode = 'copy'
    else:
        return
    repo = osp.dirname(osp.abspath(__file__))
    mim_path = osp.join(repo, 'mmpcd', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in MIM_FILES:
        src = osp.join(repo, name)
        dst = osp.join(mim_path, name)
        if not osp.exists(src):
            continue
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_path), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst)
        else:
            shutil.copyfile(src, dst)


def get_extensions() -> list:
    """``mmpcd._ext`` from ``mmpcd/ops/csrc`` (MMCV's layout).

    Built when ``MMPCD_WITH_OPS`` is 1 (default when a C++ compiler is found); with CUDA
    sources when a CUDA torch and nvcc are present or ``FORCE_CUDA=1``. The C++ standard is
    left to torch's ``cpp_extension`` (torch >= 2.13 headers need C++20).
    """
    default = '1' if shutil.which(os.environ.get('CXX', 'c++')) else '0'
    if os.getenv('MMPCD_WITH_OPS', default) != '1':
        return []
    try:
        import torch
        from torch.utils.cpp_extension import CUDA_HOME, CppExtension, CUDAExtension
    except ImportError:
        print(
            'mmpcd: torch is not importable at build time (use --no-build-isolation); '
            'building without mmpcd._ext, the ops fall back to their PyTorch reference.'
        )
        return []
    csrc = osp.join('mmpcd', 'ops', 'csrc')
    sources = glob.glob(osp.join(csrc, 'pytorch', '*.cpp')) + glob.glob(
        osp.join(csrc, 'pytorch', 'cpu', '*.cpp')
    )
    include_dirs = [osp.abspath(osp.join(csrc, 'common'))]
    openmp = [] if sys.platform == 'darwin' else ['-fopenmp']
    extra_compile_args = {'cxx': ['-O3', *openmp]}
    with_cuda = os.getenv('FORCE_CUDA', '0') == '1' or (
        torch.cuda.is_available() and CUDA_HOME is not None
    )
    if not with_cuda:
        return [
            CppExtension(
                'mmpcd._ext',
                sources,
                include_dirs=include_dirs,
                extra_compile_args=extra_compile_args,
                extra_link_args=openmp,
            )
        ]
    sources += glob.glob(osp.join(csrc, 'pytorch', 'cuda', '*.cu'))
    include_dirs.append(osp.abspath(osp.join(csrc, 'common', 'cuda')))
    # --fmad=false: no fused multiply-adds, so the CUDA kernels compute the same cell distances
    # (and positive masks) as the CPU kernels, bit for bit.
    extra_compile_args['nvcc'] = ['-O3', '--fmad=false', *os.getenv('MMPCD_CUDA_ARGS', '').split()]
    return [
        CUDAExtension(
            'mmpcd._ext',
            sources,
            include_dirs=include_dirs,
            define_macros=[('MMPCD_WITH_CUDA', None)],
            extra_compile_args=extra_compile_args,
            extra_link_args=openmp,
        )
    ]


def get_cmdclass() -> dict:
    try:
        from torch.utils.cpp_extension import BuildExtension
    except ImportError:  # metadata-only commands (e.g. egg_info) run without torch
        return {}
    return {'build_ext': BuildExtension}


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mmpcd',
        version=get_version(),
        description='Pixel-level self-supervised pre-training and distillation '
        'for dense prediction, on OpenMMLab 2.0',
        long_description=open('README.md', encoding='utf-8').read(),
        long_description_content_type='text/markdown',
        keywords='self-supervised learning, distillation, dense prediction, openmmlab',
        packages=find_packages(exclude=('configs', 'tools', 'tests', 'data', 'projects')),
        include_package_data=True,
        python_requires='>=3.10',
        license='Apache-2.0',
        install_requires=parse_requirements('requirements/runtime.txt'),
        extras_require={
            'all': parse_requirements('requirements/optional.txt'),
            'optional': parse_requirements('requirements/optional.txt'),
            'tests': parse_requirements('requirements/tests.txt'),
            'mim': parse_requirements('requirements/mminstall.txt'),
        },
        classifiers=[
            'Programming Language :: Python :: 3.11',
            'Topic :: Scientific/Engineering :: Artificial Intelligence',
        ],
        ext_modules=get_extensions(),
        cmdclass=get_cmdclass(),
        zip_safe=False,
    )
