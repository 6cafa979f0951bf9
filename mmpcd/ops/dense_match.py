"""DenseCL's feature correspondence: for each query pixel, the most similar key pixel."""
import torch
import torch.nn.functional as F

from ._ext_loader import load_ext, resolve_impl


def dense_argmax_match_pytorch(feat_q: torch.Tensor, feat_k: torch.Tensor) -> torch.Tensor:
    """Reference of :func:`dense_argmax_match` (materialises the similarity)."""
    q = F.normalize(feat_q.flatten(2), dim=1)
    k = F.normalize(feat_k.flatten(2), dim=1)
    return torch.bmm(q.transpose(1, 2), k).argmax(dim=2)


@torch.no_grad()
def dense_argmax_match(feat_q: torch.Tensor, feat_k: torch.Tensor,
                       impl: str = 'auto') -> torch.Tensor:
    """Index of the key pixel with the highest cosine similarity to each query pixel.

    Args:
        feat_q: (N, C, Hq, Wq) query features.
        feat_k: (N, C, Hk, Wk) key features.
        impl: ``'auto' | 'pytorch' | 'cpu' | 'cuda'``.

    Returns:
        (N, Hq*Wq) int64 indices into the flattened key map (no gradient).
    """
    if feat_q.dim() != 4 or feat_k.dim() != 4 or feat_q.shape[:2] != feat_k.shape[:2]:
        raise ValueError('feat_q (N, C, Hq, Wq) and feat_k (N, C, Hk, Wk) must share N and C, '
                         f'got {tuple(feat_q.shape)} and {tuple(feat_k.shape)}.')
    if resolve_impl(impl, 'dense_argmax_match', feat_q) == 'pytorch':
        return dense_argmax_match_pytorch(feat_q, feat_k)
    return load_ext().dense_argmax_match(feat_q.contiguous(),
                                         feat_k.to(feat_q.dtype).contiguous())
