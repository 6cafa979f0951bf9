"""The official LARS update rules of PixPro and PCD.

mmpretrain's ``LARS`` folds ``lr x trust`` into every momentum increment
(``buf = m * buf + lr * trust * (g + wd * w)``, ``w -= buf``). The official PixPro and PCD
optimizers keep the learning rate outside the buffer, so the current lr scales the whole
buffer (in mmpretrain each increment keeps the lr of its own step, which differs during the
warm-up and the cosine), and each computes the trust ratio in its own way:

- mmpretrain ``LARS``: trust ``eta |w| / (|g| + wd |w| + eps)``,
  ``buf = m buf + lr trust (g + wd w)``, ``w -= buf``;
- :class:`PixProLARS`: trust ``eta |w| / (|g + wd w| + eps)``,
  ``buf = m buf + trust (g + wd w)``, ``w -= lr buf``;
- :class:`PCDLARS`: trust ``eta |w| / (|g| + wd |w| + eps)``, ``buf = m buf + (g + wd w)``,
  ``w -= lr trust buf``.

Parameters excluded from LARS (a group with ``lars_exclude=True``, as mmpretrain's configs set
through ``paramwise_cfg.custom_keys``, and with ``exclude_1d`` every parameter of one dimension:
norm weights and biases, which is how both official codes split them) take a plain momentum
step: trust 1, and for 1-D parameters no weight decay.
"""

from typing import Callable, Iterable, Optional, Tuple

import torch
from torch import Tensor
from torch.optim.optimizer import Optimizer

from mmpcd.registry import OPTIMIZERS


class _OfficialLARS(Optimizer):
    """Parameter groups, validation and the exclusion rule shared by the official variants;
    subclasses implement :meth:`_update` (one parameter, one step)."""

    def __init__(
        self,
        params: Iterable,
        lr: float,
        momentum: float,
        weight_decay: float,
        eta: float,
        eps: float,
        exclude_1d: bool,
    ) -> None:
        for name, value in (
            ('lr', lr),
            ('momentum', momentum),
            ('weight_decay', weight_decay),
            ('eta', eta),
            ('eps', eps),
        ):
            if value < 0:
                raise ValueError(f'{type(self).__name__}: {name} must be >= 0, got {value}.')
        self.exclude_1d = exclude_1d
        super().__init__(
            params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, eta=eta, eps=eps)
        )

    def is_excluded(self, group: dict, param: Tensor) -> bool:
        """Whether ``param`` (of ``group``) takes no trust ratio."""
        return group.get('lars_exclude', False) or (self.exclude_1d and param.dim() <= 1)

    def weight_decay_of(self, group: dict, param: Tensor) -> float:
        """The weight decay applied to ``param`` (of ``group``)."""
        return 0.0 if self.exclude_1d and param.dim() <= 1 else group['weight_decay']

    def _momentum_buffer(self, param: Tensor, increment: Tensor) -> Tuple[Tensor, bool]:
        """The momentum buffer of ``param`` and whether this step created it (as a copy of
        ``increment``, like ``torch.optim.SGD``)."""
        state = self.state[param]
        if 'momentum_buffer' in state:
            return state['momentum_buffer'], False
        state['momentum_buffer'] = increment.clone()
        return state['momentum_buffer'], True

    def _update(self, group: dict, param: Tensor, excluded: bool, weight_decay: float) -> None:
        raise NotImplementedError

    @torch.no_grad()
    def step(self, closure: Optional[Callable[[], Tensor]] = None) -> Optional[Tensor]:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for param in group['params']:
                if param.grad is not None:
                    self._update(
                        group,
                        param,
                        self.is_excluded(group, param),
                        self.weight_decay_of(group, param),
                    )
        return loss


@OPTIMIZERS.register_module()
class PixProLARS(_OfficialLARS):
    """PixPro's LARS (zdaxie/PixPro ``contrast/lars.py``: ``add_weight_decay`` + ``LARS``
    around ``torch.optim.SGD``), per parameter ``w`` with gradient ``g``:

    ``d = g + wd * w``; ``d *= eta * |w| / (|d| + eps)`` (1 when either norm is 0);
    ``buf = m * buf + d`` (``buf = d`` on the first step); ``w -= lr * buf``. Excluded
    parameters skip the trust ratio (and, if 1-D, the weight decay).

    Args:
        params: Parameters or parameter groups (``lars_exclude`` honoured per group).
        lr: Learning rate, applied to the whole buffer at each step.
        momentum: SGD momentum (no dampening, no Nesterov). Defaults to 0.9.
        weight_decay: L2 weight decay, added to the gradient before the trust ratio.
            Defaults to 0.
        eta: Trust coefficient. Defaults to 1e-3.
        eps: Added to the gradient norm. Defaults to 1e-8.
        exclude_1d: Exclude every 1-D parameter from LARS and weight decay, as the official
            ``add_weight_decay``. Defaults to True.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        eta: float = 1e-3,
        eps: float = 1e-8,
        exclude_1d: bool = True,
    ) -> None:
        super().__init__(params, lr, momentum, weight_decay, eta, eps, exclude_1d)

    def _update(self, group: dict, param: Tensor, excluded: bool, weight_decay: float) -> None:
        increment = param.grad
        if weight_decay > 0:
            increment = increment.add(param, alpha=weight_decay)
        if not excluded:
            param_norm, increment_norm = param.norm(), increment.norm()
            if param_norm > 0 and increment_norm > 0:
                increment = increment * (
                    group['eta'] * param_norm / (increment_norm + group['eps'])
                )
        if group['momentum'] != 0:
            buf, created = self._momentum_buffer(param, increment)
            if not created:
                buf.mul_(group['momentum']).add_(increment)
            increment = buf
        param.add_(increment, alpha=-group['lr'])


@OPTIMIZERS.register_module()
class PCDLARS(_OfficialLARS):
    """PCD's LARS (allo-rene/pcd ``pcd/optimizer.py``), per parameter ``w`` with gradient
    ``g``:

    ``trust = eta * |w| / (|g| + wd * |w| + eps)`` (1 when either norm is 0, or excluded);
    ``d = g + wd * w``; ``buf = m * buf + d``; ``w -= lr * trust * buf``. On the first step
    the buffer is ``(1 + m) * d``: the official code creates it as a copy of ``d`` and then
    accumulates ``d`` into it in the same step (kept, since it is the released rule).

    Args:
        params: Parameters or parameter groups (``lars_exclude`` honoured per group).
        lr: Learning rate.
        momentum: Momentum (no dampening, no Nesterov). Defaults to 0.9.
        weight_decay: L2 weight decay. Defaults to 0.
        eta: Trust coefficient. Defaults to 1e-3.
        eps: Added to the trust ratio's denominator. Defaults to 0 (official).
        exclude_1d: Exclude every 1-D parameter (the official code's BN weights and biases)
            from LARS and weight decay. Defaults to True.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        eta: float = 1e-3,
        eps: float = 0.0,
        exclude_1d: bool = True,
    ) -> None:
        super().__init__(params, lr, momentum, weight_decay, eta, eps, exclude_1d)

    def _update(self, group: dict, param: Tensor, excluded: bool, weight_decay: float) -> None:
        grad = param.grad
        trust = 1.0
        if not excluded:
            param_norm, grad_norm = param.norm(), grad.norm()
            if param_norm * grad_norm > 0:
                trust = (
                    group['eta']
                    * param_norm
                    / (grad_norm + weight_decay * param_norm + group['eps'])
                )
        increment = grad.add(param, alpha=weight_decay) if weight_decay != 0 else grad
        if group['momentum'] != 0:
            buf, _ = self._momentum_buffer(param, increment)
            buf.mul_(group['momentum']).add_(increment)
            increment = buf
        param.sub_(increment * (trust * group['lr']))
