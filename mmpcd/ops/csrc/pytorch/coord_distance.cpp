// Entry of coord_distance: checks and device dispatch.
#include "pytorch_cpp_helper.hpp"

at::Tensor coord_distance_cpu(const at::Tensor& coord_q, const at::Tensor& coord_k, int64_t hq,
                              int64_t wq, int64_t hk, int64_t wk);
#ifdef MMPCD_WITH_CUDA
at::Tensor coord_distance_cuda(const at::Tensor& coord_q, const at::Tensor& coord_k, int64_t hq,
                               int64_t wq, int64_t hk, int64_t wk);
#endif

at::Tensor coord_distance(const at::Tensor& coord_q, const at::Tensor& coord_k, int64_t hq,
                          int64_t wq, int64_t hk, int64_t wk) {
  TORCH_CHECK(coord_q.scalar_type() == at::kFloat || coord_q.scalar_type() == at::kDouble,
              "coord_distance: the boxes must be float32 or float64 (cell geometry is not "
              "computed in half precision)");
  MMPCD_CHECK_SAME_DTYPE(coord_q, coord_k);
  MMPCD_CHECK_SAME_DEVICE(coord_q, coord_k);
  TORCH_CHECK(coord_q.dim() == 2 && coord_q.size(1) == 4 && coord_k.sizes() == coord_q.sizes(),
              "coord_q and coord_k must both be (N, 4)");
  TORCH_CHECK(hq > 0 && wq > 0 && hk > 0 && wk > 0, "feature map sizes must be positive");
  const at::Tensor cq = coord_q.contiguous(), ck = coord_k.contiguous();
  return MMPCD_DISPATCH_DEVICE(coord_distance, cq, cq, ck, hq, wq, hk, wk);
}
