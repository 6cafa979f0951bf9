"""Soft dependency checks: warn outside the tested window, never refuse to import.

OpenMMLab repos assert exclusive upper bounds at import time, which is the most common cause of
breakage for their users; mmpcd only tells you when you leave the combination it is tested with.
"""

import warnings
from importlib import metadata
from typing import Dict, Optional, Tuple

from packaging.version import InvalidVersion, Version

# package -> (lowest tested, first untested); versions inside [low, high) are tested.
TESTED_WINDOWS: Dict[str, Tuple[str, str]] = {
    'torch': ('2.0.0', '2.15.0'),
    'mmengine': ('0.10.0', '0.11.0'),
    'mmcv': ('2.1.0', '2.2.0'),
    'mmpretrain': ('1.2.0', '1.3.0'),
    'mmdet': ('3.3.0', '3.4.0'),
    'mmsegmentation': ('1.2.2', '1.3.0'),
}


def installed_version(package: str) -> Optional[str]:
    """Version string of an installed distribution, ``None`` if it is absent."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def check_dependency_versions() -> None:
    """Warn about dependencies outside mmpcd's tested window and about known-bad ones."""
    for package, (low, high) in TESTED_WINDOWS.items():
        found = installed_version(package)
        if found is None:
            continue
        try:
            version = Version(found.split('+')[0])
        except InvalidVersion:
            continue
        if not Version(low) <= version < Version(high):
            warnings.warn(
                f'mmpcd is tested with {package}>={low},<{high} but found '
                f'{package}=={found}; things may break. `make setup` installs '
                'the tested versions.',
                stacklevel=2,
            )
    transformers = installed_version('transformers')
    if (
        transformers is not None
        and installed_version('mmpretrain') is not None
        and Version(transformers).major >= 5
    ):
        warnings.warn(
            f'transformers=={transformers} is installed; mmpretrain 1.2.0 '
            'fails to import its models with transformers>=5. Run '
            '`pip install "transformers<5"` or uninstall transformers.',
            stacklevel=2,
        )
