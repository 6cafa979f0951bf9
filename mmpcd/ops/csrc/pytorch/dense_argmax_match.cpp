// Entry of dense_argmax_match: running argmax over blocks of kSimilarityTile key pixels, so
// no (N, Lq, Lk) buffer exists. The query needs no normalisation (it scales a whole row of
// cosines), and the key's norms are applied inside the argmax kernel, so neither input is
// copied: the extra memory is one (N, Lq, tile) block. Half inputs run the GEMMs in half
// precision; the key norms and the running maxima are kept in float.
#include <limits>

#include "pytorch_cpp_helper.hpp"

void argmax_update_cpu(const at::Tensor& sim, const at::Tensor& inv_norm_k, at::Tensor best_val,
                       at::Tensor best_idx, int64_t offset);
#ifdef MMPCD_WITH_CUDA
void argmax_update_cuda(const at::Tensor& sim, const at::Tensor& inv_norm_k,
                        at::Tensor best_val, at::Tensor best_idx, int64_t offset);
#endif

at::Tensor dense_argmax_match(const at::Tensor& feat_q, const at::Tensor& feat_k) {
  MMPCD_CHECK_FLOATING(feat_q);
  MMPCD_CHECK_SAME_DTYPE(feat_q, feat_k);
  MMPCD_CHECK_SAME_DEVICE(feat_q, feat_k);
  TORCH_CHECK(feat_q.dim() == 4 && feat_k.dim() == 4 && feat_q.size(0) == feat_k.size(0) &&
                  feat_q.size(1) == feat_k.size(1),
              "dense_argmax_match: feat_q and feat_k must be (N, C, H, W) with equal N, C");
  const int64_t num = feat_q.size(0), channels = feat_q.size(1);
  const int64_t len_q = feat_q.size(2) * feat_q.size(3), len_k = feat_k.size(2) * feat_k.size(3);
  const at::Tensor q_t = feat_q.reshape({num, channels, len_q}).transpose(1, 2);  // a view
  const at::Tensor k = feat_k.reshape({num, channels, len_k});
  // (N, Lk): 1 / max(|k_j|, eps), as F.normalize
  const auto acc = mmpcd::accumulate_type(feat_q.scalar_type());
  const at::Tensor inv_norm_k = k.to(acc).norm(2, {1}).clamp_min(1e-12).reciprocal();
  at::Tensor best_val = at::full({num, len_q}, -std::numeric_limits<double>::infinity(),
                                 feat_q.options().dtype(acc));
  at::Tensor best_idx = at::zeros({num, len_q}, feat_q.options().dtype(at::kLong));
  for (int64_t j0 = 0; j0 < len_k; j0 += mmpcd::kSimilarityTile) {
    const int64_t cols = std::min(mmpcd::kSimilarityTile, len_k - j0);
    const at::Tensor sim = at::bmm(q_t, k.narrow(2, j0, cols)).contiguous();  // (N, Lq, cols)
    MMPCD_DISPATCH_DEVICE(argmax_update, sim, sim, inv_norm_k, best_val, best_idx, j0);
  }
  return best_idx;
}
