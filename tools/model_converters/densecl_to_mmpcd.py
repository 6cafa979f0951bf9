"""Convert a DenseCL checkpoint into mmpcd's layout (CLI of :mod:`mmpcd.converters.densecl`).

``python tools/model_converters/densecl_to_mmpcd.py --help`` lists the options; the module's
docstring describes the layouts.
"""

from mmpcd.converters.densecl import *  # noqa: F401,F403

if __name__ == '__main__':
    main()  # noqa: F405
