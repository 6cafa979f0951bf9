"""The model index (``model-index.yml`` and the metafiles it includes): names -> weights."""

import os.path as osp
from typing import List, NamedTuple, Optional

from .errors import CheckpointNotFoundError

PACKAGE_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
MODEL_INDEX = osp.join(PACKAGE_ROOT, '.mim', 'model-index.yml')


class ZooEntry(NamedTuple):
    """What the model index says about one model."""

    name: str
    weights: Optional[str]
    config: Optional[str]
    converter: Optional[str]
    teacher_layout: Optional[str] = None  # PCD teachers: how mmpcd reads the checkpoint
    sha256: Optional[str] = None  # a prefix of the file's sha256 given by the metafile


def zoo_entries(model_index: Optional[str] = None) -> List[ZooEntry]:
    """Every model of ``model-index.yml`` (mmpcd's by default)."""
    from modelindex.load_model_index import load

    index = load(model_index or MODEL_INDEX)
    entries = []
    for model in index.models:
        metadata = (model.metadata.data if model.metadata is not None else {}) or {}
        entries.append(
            ZooEntry(
                model.name,
                model.weights,
                model.config,
                metadata.get('Converter'),
                metadata.get('Teacher Layout'),
                metadata.get('SHA256'),
            )
        )
    return entries


def find_entry(name: str, model_index: Optional[str] = None) -> ZooEntry:
    """The entry named ``name``, or whose config path / file name / stem is ``name``.

    Raises:
        CheckpointNotFoundError: if nothing matches (with the closest names).
    """
    entries = zoo_entries(model_index)
    stem = osp.splitext(osp.basename(name))[0]
    for entry in entries:
        config = entry.config or ''
        if name in (entry.name, config) or stem == osp.splitext(osp.basename(config))[0]:
            return entry
    close = [entry.name for entry in entries if stem.split('_')[0] in entry.name][:8]
    raise CheckpointNotFoundError(
        f'{name!r} is neither a file, a URL nor a model of the zoo '
        f'(model-index.yml). Similar names: {close or "none"}.'
    )
