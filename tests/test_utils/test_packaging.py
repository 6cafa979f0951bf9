"""The installed package exposes what OpenMMLab tooling expects."""

import os.path as osp

import yaml

import mmpcd


def test_mim_folder_exposes_configs_tools_and_model_index():
    mim = osp.join(osp.dirname(mmpcd.__file__), '.mim')
    assert osp.isfile(osp.join(mim, 'configs', '_base_', 'default_runtime.py'))
    assert osp.isfile(osp.join(mim, 'tools', 'train.py'))
    assert osp.isfile(osp.join(mim, 'model-index.yml'))
    # model-index.yml imports metafiles by relative path, projects' included.
    with open(osp.join(mim, 'model-index.yml')) as file:
        imports = yaml.safe_load(file)['Import']
    assert any(path.startswith('projects/') for path in imports)
    for path in imports:
        assert osp.isfile(osp.join(mim, path)), path


def test_model_index_parses(repo_root):
    from modelindex.load_model_index import load

    index = load(osp.join(repo_root, 'model-index.yml'))
    assert index is not None


def test_version_is_exposed():
    assert mmpcd.__version__ == '.'.join(str(x) for x in mmpcd.version_info[:3])
