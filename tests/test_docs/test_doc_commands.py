"""Every command the docs show is real: its script exists, its arguments parse, the repository
paths it names exist, and a test runs that script.

The shell blocks of README.md and docs/en are read by :mod:`tests.doc_commands` (``python
<script> ...`` and ``tools/*.sh ...`` lines); arguments with placeholders (``<...>``, ``$VAR``,
``CONFIG``-style capitals) are not checked as paths.
"""

import glob
import importlib.util
import inspect
import os.path as osp
import re
import sys

import pytest

from tests.conftest import REPO_ROOT
from tests.doc_commands import documented_commands

DOCS = [osp.join(REPO_ROOT, 'README.md')] + sorted(
    glob.glob(osp.join(REPO_ROOT, 'docs', 'en', '**', '*.md'), recursive=True)
)
REPO_PATH = re.compile(r'^(configs|tools|tests|data|demo|projects|docs)/')
# Scripts the tests run through another one: setup.py's in-place build is run by the setup
# script, which tests/test_tools/test_setup_env_script.py runs.
EXERCISED_BY = {'setup.py': 'setup_env.sh'}


def _placeholder(arg: str) -> bool:
    return any(c in arg for c in '<>$*[]') or re.fullmatch(r'[A-Z_]+', arg) is not None


COMMANDS = [
    (osp.relpath(doc, REPO_ROOT), script, args) for doc, script, args in documented_commands(DOCS)
]


def _tests_text() -> str:
    texts = []
    for path in glob.glob(osp.join(REPO_ROOT, 'tests', '**', '*.py'), recursive=True):
        with open(path) as file:
            texts.append(file.read())
    return '\n'.join(texts)


TESTS_TEXT = _tests_text()


def test_the_docs_show_commands():
    assert len(COMMANDS) >= 10


@pytest.mark.parametrize('doc,script,args', COMMANDS, ids=[f'{d}:{s}' for d, s, _ in COMMANDS])
def test_documented_command_is_real(doc, script, args, monkeypatch):
    assert osp.isfile(osp.join(REPO_ROOT, script)), f'{doc}: {script} does not exist'
    # `config,checkpoint` pairs and `key=value` options hold paths too.
    pieces = [piece for arg in args for piece in re.split('[,=]', arg)]
    for piece in pieces:
        if REPO_PATH.match(piece) and not _placeholder(piece):
            assert osp.exists(osp.join(REPO_ROOT, piece)), f'{doc}: {piece} does not exist'
    runner = EXERCISED_BY.get(script, osp.basename(script))
    stem = osp.splitext(runner)[0]
    imported = re.search(rf'(from|import)\s+[\w.]*\b{re.escape(stem)}\b', TESTS_TEXT)
    assert runner in TESTS_TEXT or imported, f'{doc}: no test runs {script}'
    if script.endswith('.py'):
        spec = importlib.util.spec_from_file_location('doc_tool', osp.join(REPO_ROOT, script))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        parse_args = getattr(module, 'parse_args', None)
        if parse_args is not None and not any(_placeholder(arg) for arg in args):
            # argparse exits on an unknown option or a bad value.
            if inspect.signature(parse_args).parameters:
                parse_args(args)
            else:
                monkeypatch.setattr(sys, 'argv', [script, *args])
                parse_args()
