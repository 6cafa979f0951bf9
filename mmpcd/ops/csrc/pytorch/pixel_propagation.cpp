// Entry of pixel_propagation: y_i = sum_j max(cos(x_i, x_j), clamp_min)^gamma v_j, computed
// one block of kSimilarityTile columns j at a time (GEMMs through ATen, the elementwise
// weights through the device kernels), so no (N, L, L) buffer exists.
#include "pytorch_cpp_helper.hpp"

void propagation_weight_cpu(at::Tensor sim, double gamma, double clamp_min);
void propagation_weight_grad_cpu(at::Tensor sim, at::Tensor grad, double gamma,
                                 double clamp_min);
#ifdef MMPCD_WITH_CUDA
void propagation_weight_cuda(at::Tensor sim, double gamma, double clamp_min);
void propagation_weight_grad_cuda(at::Tensor sim, at::Tensor grad, double gamma,
                                  double clamp_min);
#endif

namespace {

void check_inputs(const at::Tensor& x, const at::Tensor& value) {
  MMPCD_CHECK_FLOATING(x);
  MMPCD_CHECK_SAME_DTYPE(x, value);
  MMPCD_CHECK_SAME_DEVICE(x, value);
  TORCH_CHECK(x.dim() == 4 && value.dim() == 4 && x.size(0) == value.size(0) &&
                  x.size(2) == value.size(2) && x.size(3) == value.size(3),
              "pixel_propagation: x (N, C, H, W) and value (N, Cv, H, W) must share N, H, W");
}

}  // namespace

at::Tensor pixel_propagation_forward(const at::Tensor& x, const at::Tensor& value, double gamma,
                                     double clamp_min) {
  check_inputs(x, value);
  const int64_t num = x.size(0), len = x.size(2) * x.size(3);
  auto unit = mmpcd::normalize_channels(x.reshape({num, x.size(1), len}))[0];  // (N, C, L)
  const at::Tensor unit_t = unit.transpose(1, 2);                               // (N, L, C)
  const at::Tensor v = value.reshape({num, value.size(1), len});                // (N, Cv, L)
  at::Tensor out = at::zeros_like(v);
  for (int64_t j0 = 0; j0 < len; j0 += mmpcd::kSimilarityTile) {
    const int64_t cols = std::min(mmpcd::kSimilarityTile, len - j0);
    at::Tensor weight = at::bmm(unit_t, unit.narrow(2, j0, cols));  // (N, L, cols): cos(x_i, x_j)
    MMPCD_DISPATCH_DEVICE(propagation_weight, weight, weight, gamma, clamp_min);
    out.baddbmm_(v.narrow(2, j0, cols), weight.transpose(1, 2));  // out_i += sum_j w_ij v_j
  }
  return out.view_as(value);
}

std::vector<at::Tensor> pixel_propagation_backward(const at::Tensor& grad_out,
                                                   const at::Tensor& x, const at::Tensor& value,
                                                   double gamma, double clamp_min) {
  check_inputs(x, value);
  const int64_t num = x.size(0), len = x.size(2) * x.size(3);
  auto unit_norm = mmpcd::normalize_channels(x.reshape({num, x.size(1), len}));
  const at::Tensor unit = unit_norm[0], unit_t = unit.transpose(1, 2);
  const at::Tensor v = value.reshape({num, value.size(1), len});
  const at::Tensor gy = grad_out.reshape({num, value.size(1), len});
  const at::Tensor gy_t = gy.transpose(1, 2);  // (N, L, Cv)
  at::Tensor grad_v = at::empty_like(v);
  at::Tensor grad_unit = at::zeros_like(unit);
  for (int64_t j0 = 0; j0 < len; j0 += mmpcd::kSimilarityTile) {
    const int64_t cols = std::min(mmpcd::kSimilarityTile, len - j0);
    const at::Tensor unit_j = unit.narrow(2, j0, cols);
    at::Tensor weight = at::bmm(unit_t, unit_j);               // (N, L, cols): s_ij
    at::Tensor grad_sim = at::bmm(gy_t, v.narrow(2, j0, cols));  // gy_i . v_j
    // weight <- w_ij, grad_sim <- dL/ds_ij
    MMPCD_DISPATCH_DEVICE(propagation_weight_grad, weight, weight, grad_sim, gamma, clamp_min);
    grad_v.narrow(2, j0, cols).copy_(at::bmm(gy, weight));  // sum_i w_ij gy_i
    // s_ij = u_i . u_j feeds both u_i and u_j.
    grad_unit.baddbmm_(unit_j, grad_sim.transpose(1, 2));
    grad_unit.narrow(2, j0, cols).add_(at::bmm(unit, grad_sim));
  }
  at::Tensor grad_x = mmpcd::normalize_channels_backward(grad_unit, unit, unit_norm[1]);
  return {grad_x.view_as(x), grad_v.view_as(value)};
}
