// Entry of masked_pair_cosine: per-image sums of cos(p_i, t_j) over geometric positives,
// computed as sum_i p_i . (sum_{j positive for i} t_j) without any (N, Lq, Lk) buffer.
#include "pytorch_cpp_helper.hpp"

std::vector<at::Tensor> positive_pair_sum_cpu(const at::Tensor& src, const at::Tensor& coord_out,
                                              const at::Tensor& coord_src, int64_t ho,
                                              int64_t wo, int64_t hs, int64_t ws,
                                              double pos_ratio);
#ifdef MMPCD_WITH_CUDA
std::vector<at::Tensor> positive_pair_sum_cuda(const at::Tensor& src,
                                               const at::Tensor& coord_out,
                                               const at::Tensor& coord_src, int64_t ho,
                                               int64_t wo, int64_t hs, int64_t ws,
                                               double pos_ratio);
#endif

namespace {

void check_inputs(const at::Tensor& p, const at::Tensor& t, const at::Tensor& coord_q,
                  const at::Tensor& coord_k, int64_t hq, int64_t wq, int64_t hk, int64_t wk) {
  MMPCD_CHECK_FLOATING(p);
  MMPCD_CHECK_SAME_DTYPE(p, t);
  MMPCD_CHECK_SAME_DTYPE(coord_q, coord_k);
  TORCH_CHECK(coord_q.scalar_type() == mmpcd::accumulate_type(p.scalar_type()),
              "masked_pair_cosine: the boxes must be in the features' accumulate type (float "
              "for float16/bfloat16 features)");
  MMPCD_CHECK_SAME_DEVICE(p, t);
  MMPCD_CHECK_SAME_DEVICE(p, coord_q);
  MMPCD_CHECK_SAME_DEVICE(p, coord_k);
  TORCH_CHECK(p.is_contiguous() && t.is_contiguous() && coord_q.is_contiguous() &&
                  coord_k.is_contiguous(),
              "masked_pair_cosine: inputs must be contiguous");
  TORCH_CHECK(p.dim() == 3 && t.dim() == 3 && p.size(0) == t.size(0) && p.size(2) == t.size(2),
              "masked_pair_cosine: expected p (N, Lq, C) and t (N, Lk, C)");
  TORCH_CHECK(p.size(1) == hq * wq && t.size(1) == hk * wk,
              "masked_pair_cosine: map sizes do not match the features");
  TORCH_CHECK(coord_q.size(0) == p.size(0) && coord_k.size(0) == p.size(0),
              "masked_pair_cosine: one box per image is needed");
}

std::vector<at::Tensor> positive_pair_sum(const at::Tensor& src, const at::Tensor& coord_out,
                                          const at::Tensor& coord_src, int64_t ho, int64_t wo,
                                          int64_t hs, int64_t ws, double pos_ratio) {
  return MMPCD_DISPATCH_DEVICE(positive_pair_sum, src, src, coord_out, coord_src, ho, wo, hs, ws,
                               pos_ratio);
}

}  // namespace

// p (N, Lq, C) and t (N, Lk, C) unit vectors -> {sum of cosines over positives (N,),
// number of positives (N,), sum_{j positive for i} t_j (N, Lq, C)}; the last is the gradient
// w.r.t. p up to the per-image scale, kept for the backward pass. All three are in the
// accumulate type (float for half features).
std::vector<at::Tensor> masked_pair_cosine_forward(const at::Tensor& p, const at::Tensor& t,
                                                   const at::Tensor& coord_q,
                                                   const at::Tensor& coord_k, int64_t hq,
                                                   int64_t wq, int64_t hk, int64_t wk,
                                                   double pos_ratio) {
  check_inputs(p, t, coord_q, coord_k, hq, wq, hk, wk);
  auto sum_count = positive_pair_sum(t, coord_q, coord_k, hq, wq, hk, wk, pos_ratio);
  at::Tensor total = (p.to(sum_count[0].scalar_type()) * sum_count[0]).sum({1, 2});
  return {total, sum_count[1].sum({1}), sum_count[0]};
}

// Gradients of sum_n scale_n * total_n w.r.t. the unit vectors p and t, given the forward's
// pair sums of t (the p side needs no second pass over the pairs).
std::vector<at::Tensor> masked_pair_cosine_backward(const at::Tensor& scale,
                                                    const at::Tensor& pair_sum_t,
                                                    const at::Tensor& p, const at::Tensor& t,
                                                    const at::Tensor& coord_q,
                                                    const at::Tensor& coord_k, int64_t hq,
                                                    int64_t wq, int64_t hk, int64_t wk,
                                                    double pos_ratio) {
  check_inputs(p, t, coord_q, coord_k, hq, wq, hk, wk);
  TORCH_CHECK(pair_sum_t.sizes() == p.sizes(), "masked_pair_cosine: pair sums must match p");
  const at::Tensor s = scale.view({-1, 1, 1});
  at::Tensor grad_t = positive_pair_sum(p, coord_k, coord_q, hk, wk, hq, wq, pos_ratio)[0] * s;
  return {pair_sum_t * s, grad_t};
}
