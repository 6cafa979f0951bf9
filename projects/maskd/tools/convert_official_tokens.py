"""Convert a released MasKD token checkpoint (hunto/MasKD, Gumpest/MasKD) to a token file.

The official files are mmcv 1.x checkpoints whose ``state_dict`` holds ``mask_modules.*``
(detection: one MaskModule per FPN level, possibly next to the whole teacher; segmentation:
a bare ``{'mask_token': (8, 19)}``). The output holds only ``mask_modules.*`` plus
``meta['maskd']`` and is read by ``MasKDLoss(tokens=...)``::

    python projects/maskd/tools/convert_official_tokens.py IN OUT \
        --levels 5 --channels 256 --num-tokens 6 [--teacher-ckpt URL]
"""

import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))))
from mmpcd.engine.runners import add_trust_arg  # noqa: E402
from mmpcd.utils.checkpoint import (  # noqa: E402
    CorruptCheckpointError,
    UntrustedCheckpointError,
    read_checkpoint,
    state_dict_of,
)
from projects.maskd.maskd.tokens import (  # noqa: E402
    PREFIX,
    build_mask_modules,
    describe_tokens,
    extract_token_state,
    save_tokens,
)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='official token checkpoint (.pth/.ckpt)')
    parser.add_argument('dst', help='output token file')
    parser.add_argument('--levels', type=int, help='expected number of levels')
    parser.add_argument('--channels', type=int, help='expected channels of every level')
    parser.add_argument('--num-tokens', type=int, help='expected tokens per level')
    parser.add_argument(
        '--teacher-ckpt',
        default=None,
        help='the teacher checkpoint the tokens were learned on (metadata)',
    )
    add_trust_arg(parser, 'the official file')
    return parser.parse_args(argv)


def load_official(path: str, trust: bool) -> dict:
    """The ``mask_modules.*`` entries of an official file, in our key layout."""
    try:
        checkpoint = read_checkpoint(path, trust=trust, switch='--trust')
    except (UntrustedCheckpointError, CorruptCheckpointError) as error:
        raise SystemExit(f'error: {error}') from None
    state = state_dict_of(checkpoint, ('state_dict',))
    tokens = extract_token_state(state)
    if not tokens and set(state) == {'mask_token'}:
        # The segmentation release: one bare token tensor (no weighting branch).
        tokens = {PREFIX + '0.mask_token': state['mask_token']}
    if not tokens:
        raise SystemExit(
            f'{path} holds no MasKD tokens (no key contains {PREFIX!r} and it '
            f'is not a bare {{"mask_token": ...}}).'
        )
    return tokens


def check_expected(info: dict, args: argparse.Namespace) -> None:
    problems = []
    if args.levels is not None and info['num_levels'] != args.levels:
        problems.append(f'{info["num_levels"]} levels, expected {args.levels}')
    if args.channels is not None and set(info['channels']) != {args.channels}:
        problems.append(f'channels {info["channels"]}, expected {args.channels}')
    if args.num_tokens is not None and set(info['num_tokens']) != {args.num_tokens}:
        problems.append(f'tokens {info["num_tokens"]}, expected {args.num_tokens}')
    if problems:
        raise SystemExit('The tokens do not match: ' + '; '.join(problems) + '.')


def main(argv=None) -> None:
    args = parse_args(argv)
    tokens = load_official(args.src, args.trust)
    info = describe_tokens(tokens)
    check_expected(info, args)
    modules = build_mask_modules(tokens)  # strict load: shapes and names are ours
    save_tokens(args.dst, modules, teacher_ckpt=args.teacher_ckpt, source=osp.basename(args.src))
    print(
        f'{args.dst}: {info["num_levels"]} level(s), channels {info["channels"]}, tokens '
        f'{info["num_tokens"]}, weighting branch: {info["weight_mask"]}'
    )


if __name__ == '__main__':
    main()
