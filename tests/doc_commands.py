"""The one reader of the commands the docs show, for the doc-command tests.

The shell blocks (```bash, ```shell, ```sh) of a Markdown file are scanned for
``python <script> ...`` and ``tools/*.sh ...`` / ``projects/*.sh ...`` lines; continuation
backslashes are joined, comments (``# ...``) and leading ``VAR=value`` assignments dropped.
"""

import re
import shlex
from typing import List, NamedTuple, Sequence

BLOCK = re.compile(r'```(?:bash|shell|sh)\n(.*?)```', re.S)


class DocCommand(NamedTuple):
    doc: str  # the Markdown file, as given
    script: str  # e.g. 'tools/train.py'
    args: List[str]  # argv after the script


def documented_commands(docs: Sequence[str]) -> List[DocCommand]:
    """Every command of the shell blocks of ``docs``, in order of appearance."""
    found = []
    for doc in docs:
        with open(doc) as file:
            text = file.read()
        for block in BLOCK.findall(text):
            for line in block.replace('\\\n', ' ').splitlines():
                line = line.split(' #')[0].strip()
                if not line or line.startswith('#'):
                    continue
                words = [w for w in shlex.split(line) if not re.fullmatch(r'[A-Z_]+=\S*', w)]
                if (
                    len(words) >= 2
                    and words[0] in ('python', 'python3')
                    and not words[1].startswith('-')
                ):  # not `python -m/-c ...`
                    found.append(DocCommand(doc, words[1], words[2:]))
                elif words and re.match(r'^(tools|projects)/.*\.sh$', words[0]):
                    found.append(DocCommand(doc, words[0], words[1:]))
    return found
