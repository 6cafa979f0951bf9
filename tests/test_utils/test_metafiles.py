"""The model zoo's metafiles are consistent (.dev_scripts/check_metafile.py)."""

import pytest

from tests.conftest import load_script


@pytest.fixture(scope='module')
def checker():
    return load_script('.dev_scripts/check_metafile.py')


def test_the_repository_metafiles_have_no_problem(checker):
    assert checker.check() == []


def test_the_checker_finds_each_kind_of_problem(checker, tmp_path):
    (tmp_path / 'configs' / 'a').mkdir(parents=True)
    (tmp_path / 'configs' / 'b').mkdir(parents=True)
    (tmp_path / 'configs' / 'a' / 'ok.py').write_text('')
    (tmp_path / 'configs' / 'a' / 'metafile.yml').write_text(
        'Collections:\n  - Name: A\n    README: configs/a/README.md\n'
        'Models:\n'
        '  - Name: m1\n    Config: configs/a/ok.py\n    Weights: null\n'
        '  - Name: m1\n    Config: configs/a/missing.py\n    Weights: ftp://x\n'
        '  - Name: m2\n    Config: configs/a/ok.py\n    Metadata:\n      Converter: tools/x.py\n'
        '    Weights: https://download.openmmlab.com/a/b/m2_20220101.pth\n'
    )
    (tmp_path / 'configs' / 'b' / 'metafile.yml').write_text('Models: []\n')
    (tmp_path / 'model-index.yml').write_text(
        'Import:\n  - configs/a/metafile.yml\n  - configs/c/metafile.yml\n'
    )
    problems = '\n'.join(checker.check(str(tmp_path)))
    for expected in (
        'configs/b/metafile.yml is not imported',
        'imports configs/c/metafile.yml, which does not exist',
        'README configs/a/README.md does not exist',
        'm1 is also defined in configs/a/metafile.yml',
        'Config configs/a/missing.py does not exist',
        "Weights 'ftp://x' is not a well-formed https URL",
        'Converter tools/x.py does not exist',
        'lacks the sha256 suffix',
    ):
        assert expected in problems, expected
