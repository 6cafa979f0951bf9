"""Fetch a checkpoint of the model zoo (or any URL / file), verify, convert and cache it.

``python tools/misc/download_checkpoint.py <model-name|config|url|file> [--cache-dir DIR]
[--no-convert] [--converter NAME] [--trust]`` prints the local path of a checkpoint that
``torch.load(..., weights_only=True)`` reads. See :func:`mmpcd.apis.get_checkpoint`.
"""

import argparse
import sys

from mmpcd.apis import CheckpointError, get_checkpoint


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('name', help='model name or config of model-index.yml, URL or file')
    parser.add_argument(
        '--cache-dir', help='default: $MMPCD_CACHE_DIR/checkpoints or ~/.cache/mmpcd/checkpoints'
    )
    parser.add_argument(
        '--no-convert',
        action='store_true',
        help='keep the upstream layout (skip the metafile\'s converter)',
    )
    parser.add_argument(
        '--converter',
        help='convert with this converter, e.g. pixpro_to_mmpcd (for a file downloaded by hand)',
    )
    parser.add_argument(
        '--trust',
        action='store_true',
        help='allow the full unpickler for a file weights_only=True refuses '
        '(runs pickled code: only for sources you trust)',
    )
    parser.add_argument('--quiet', action='store_true', help='no progress bar')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        path = get_checkpoint(
            args.name,
            cache_dir=args.cache_dir,
            convert=not args.no_convert,
            trust=args.trust,
            show_progress=not args.quiet,
            converter=args.converter,
        )
    except CheckpointError as error:
        sys.exit(f'error: {error}')
    print(path)


if __name__ == '__main__':
    main()
