"""Validation of momentum values written in mmengine's EMA convention."""


def check_ema_momentum(momentum: float, name: str) -> None:
    """Reject a momentum outside (0, 0.5], naming the official (MoCo/BYOL) convention when
    the value looks like one, since that is the likely mistake.

    mmengine's ``ExponentialMovingAverage`` (and mmpretrain's ``CosineEMA``) update
    ``target = (1 - m) * target + m * online``, so the papers' 0.99 / 0.999 are 0.01 / 0.001.

    Args:
        momentum: The value to check.
        name: What it configures, for the message (e.g. ``'DenseCL momentum'``).
    """
    if 0.0 < momentum <= 0.5:
        return
    msg = (
        f'{name} must be in (0, 0.5] in mmengine\'s ExponentialMovingAverage convention, '
        f'target = (1 - m) * target + m * online (0.01 = the papers\' 0.99); got {momentum}'
    )
    if 0.5 < momentum < 1.0:
        msg += (
            f': that is the official/MoCo convention (target = m * target + (1 - m) * '
            f'online); mmpcd uses mmengine\'s, pass {1.0 - momentum:.6g} (= 1 - {momentum})'
        )
    raise ValueError(msg + '.')
