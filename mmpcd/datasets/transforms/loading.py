"""``LoadImageFromFile`` that names the file it cannot decode, or skips it when asked."""

import logging
from typing import Optional, Set

from mmcv.transforms import LoadImageFromFile as MMCVLoadImageFromFile
from mmengine.logging import print_log

from mmpcd.registry import TRANSFORMS

CHECK_HINT = 'python tools/misc/check_images.py DIR lists every unreadable or unusable image'


class BadImageError(ValueError):
    """An image file cannot be read or decoded."""


@TRANSFORMS.register_module(name='LoadImageFromFile')
class CheckedLoadImageFromFile(MMCVLoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` whose failures name the file.

    Registered under mmcv's name, so every pipeline in mmpcd's scope uses it unchanged:
    mmcv's reports a zero-byte or non-image file as ``cv2.error !buf.empty()`` or a bare
    assertion after the epoch has started, without saying which file (or, with
    ``ignore_empty=True``, drops it silently).

    Args:
        skip_bad_images: Instead of raising, return None for a file that cannot be read or
            decoded (the dataset then takes another image, as mmengine's ``BaseDataset`` does
            for None), with one warning per file and process. Defaults to False. From the
            command line (the loader is step 0 of mmpcd's pipelines): ``--cfg-options
            train_dataloader.dataset.pipeline.0.skip_bad_images=True``.
        **kwargs: mmcv's ``LoadImageFromFile`` arguments.

    Raises:
        BadImageError: for an unreadable file when ``skip_bad_images`` is False, naming it.
    """

    def __init__(self, skip_bad_images: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.skip_bad_images = skip_bad_images
        self._warned: Set[str] = set()

    def transform(self, results: dict) -> Optional[dict]:
        filename = results['img_path']
        try:
            loaded = super().transform(results)
        except Exception as error:  # cv2.error, PIL errors, OSError, mmcv's AssertionError
            reason = (
                str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
            )
            return self._bad(filename, f'{type(error).__name__}: {reason}')
        if loaded is None:  # mmcv's own ignore_empty=True
            return self._bad(filename, 'empty or unreadable')
        return loaded

    def _bad(self, filename: str, reason: str) -> None:
        if not self.skip_bad_images:
            raise BadImageError(
                f'cannot decode the image {filename} ({reason}). Remove or replace it ('
                f'{CHECK_HINT}), or skip bad files with skip_bad_images=True on the pipeline\'s '
                'LoadImageFromFile.'
            )
        if filename not in self._warned:
            self._warned.add(filename)
            print_log(
                f'skipping the image {filename}: it cannot be decoded ({reason}); {CHECK_HINT}.',
                logger='current',
                level=logging.WARNING,
            )
        return None

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f', skip_bad_images={self.skip_bad_images})'
