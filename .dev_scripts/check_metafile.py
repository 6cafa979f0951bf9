"""Check the model zoo's metafiles against the repository.

``python .dev_scripts/check_metafile.py`` exits non-zero and lists every problem:

- every ``metafile.yml`` under ``configs/`` and ``projects/`` is imported by model-index.yml,
  and every import exists;
- model names are unique across metafiles;
- every model names an existing ``Config`` and, if it has one, an existing ``Converter``;
- ``Weights`` is null or a well-formed https URL; an OpenMMLab-hosted file carries the sha256
  prefix in its name (``..._<date>-<hex>.pth``);
- every collection's ``README`` exists.
"""

import glob
import os.path as osp
import re
import sys
from typing import List
from urllib.parse import urlparse

import yaml

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHA_SUFFIX = re.compile(r'-[0-9a-f]{8,64}\.pth$')


def check(root: str = ROOT) -> List[str]:
    """All problems found, as sentences naming the file and the model."""
    problems = []
    with open(osp.join(root, 'model-index.yml')) as file:
        imports = yaml.safe_load(file).get('Import', [])
    on_disk = sorted(
        osp.relpath(path, root)
        for pattern in ('configs/**/metafile.yml', 'projects/**/metafile.yml')
        for path in glob.glob(osp.join(root, pattern), recursive=True)
    )
    problems += [
        f'{path} is not imported by model-index.yml' for path in on_disk if path not in imports
    ]
    problems += [
        f'model-index.yml imports {path}, which does not exist'
        for path in imports
        if not osp.isfile(osp.join(root, path))
    ]
    names = {}
    for metafile in imports:
        if not osp.isfile(osp.join(root, metafile)):
            continue
        with open(osp.join(root, metafile)) as file:
            meta = yaml.safe_load(file) or {}
        for collection in meta.get('Collections') or []:
            readme = collection.get('README')
            if readme and not osp.isfile(osp.join(root, readme)):
                problems.append(
                    f'{metafile}: collection {collection["Name"]} README {readme} does not exist'
                )
        for model in meta.get('Models') or []:
            name = model.get('Name')
            where = f'{metafile}: {name}'
            if name in names:
                problems.append(f'{where} is also defined in {names[name]}')
            names[name] = metafile
            config = model.get('Config')
            if not config or not osp.isfile(osp.join(root, config)):
                problems.append(f'{where}: Config {config} does not exist')
            converter = (model.get('Metadata') or {}).get('Converter')
            if converter and not osp.isfile(osp.join(root, converter)):
                problems.append(f'{where}: Converter {converter} does not exist')
            weights = model.get('Weights')
            if weights is None:
                continue
            url = urlparse(str(weights))
            if url.scheme != 'https' or not url.netloc or not url.path.strip('/'):
                problems.append(f'{where}: Weights {weights!r} is not a well-formed https URL')
            elif url.netloc == 'download.openmmlab.com' and not SHA_SUFFIX.search(url.path):
                problems.append(f'{where}: Weights {weights} lacks the sha256 suffix')
    return problems


def main() -> None:
    problems = check()
    for problem in problems:
        print(problem)
    print(f'{len(problems)} problem(s)')
    sys.exit(1 if problems else 0)


if __name__ == '__main__':
    main()
