"""Packaging for mmpcd. ``make setup`` installs it editable; ``pip install .`` also works."""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

MIM_FILES = ('configs', 'tools', 'model-index.yml')


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
    """Expose configs/, tools/ and model-index.yml as ``mmpcd/.mim`` for MIM and ``get_model``.

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
        zip_safe=False)
