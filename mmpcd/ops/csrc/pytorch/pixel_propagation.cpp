// Entry of pixel_propagation: y_i = sum_j max(cos(x_i, x_j), clamp_min)^gamma v_j, computed
// one block of kSimilarityTile columns j at a time (GEMMs through ATen, the elementwise
// weights through the device kernels), so no (N, L, L) buffer exists. Inputs may be float64,
// float32, float16 or bfloat16; half inputs run their GEMMs in half precision and accumulate
// in float.
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

// x, value of one dtype T; returns the output in the accumulate type (float for half T, whose
// GEMMs and similarity blocks stay in T while the sums over blocks are kept in float).
at::Tensor pixel_propagation_forward(const at::Tensor& x, const at::Tensor& value, double gamma,
                                     double clamp_min) {
  check_inputs(x, value);
  const int64_t num = x.size(0), len = x.size(2) * x.size(3);
  const auto acc = mmpcd::accumulate_type(x.scalar_type());
  // (N, C, L) unit vectors, normalised in the accumulate type and rounded to T for the GEMMs
  const at::Tensor unit =
      mmpcd::normalize_channels(x.reshape({num, x.size(1), len}))[0].to(x.scalar_type());
  const at::Tensor unit_t = unit.transpose(1, 2);                  // (N, L, C)
  const at::Tensor v = value.reshape({num, value.size(1), len});   // (N, Cv, L)
  at::Tensor out = at::zeros(v.sizes(), v.options().dtype(acc));
  for (int64_t j0 = 0; j0 < len; j0 += mmpcd::kSimilarityTile) {
    const int64_t cols = std::min(mmpcd::kSimilarityTile, len - j0);
    at::Tensor weight = at::bmm(unit_t, unit.narrow(2, j0, cols));  // (N, L, cols): cos(x_i, x_j)
    MMPCD_DISPATCH_DEVICE(propagation_weight, weight, weight, gamma, clamp_min);
    mmpcd::add_bmm_(out, v.narrow(2, j0, cols), weight.transpose(1, 2));  // out_i += sum_j w_ij v_j
  }
  return out.view(value.sizes());
}

// Gradients w.r.t. x and value (in the accumulate type) of sum(grad_out * forward(x, value)).
std::vector<at::Tensor> pixel_propagation_backward(const at::Tensor& grad_out,
                                                   const at::Tensor& x, const at::Tensor& value,
                                                   double gamma, double clamp_min) {
  check_inputs(x, value);
  const int64_t num = x.size(0), len = x.size(2) * x.size(3);
  const auto dtype = x.scalar_type();
  const auto acc = mmpcd::accumulate_type(dtype);
  auto unit_norm = mmpcd::normalize_channels(x.reshape({num, x.size(1), len}));
  const at::Tensor unit = unit_norm[0].to(dtype), unit_t = unit.transpose(1, 2);
  const at::Tensor v = value.reshape({num, value.size(1), len});
  const at::Tensor gy = grad_out.to(dtype).reshape({num, value.size(1), len});
  const at::Tensor gy_t = gy.transpose(1, 2);  // (N, L, Cv)
  at::Tensor grad_v = at::empty(v.sizes(), v.options().dtype(acc));
  at::Tensor grad_unit = at::zeros(unit.sizes(), unit.options().dtype(acc));
  for (int64_t j0 = 0; j0 < len; j0 += mmpcd::kSimilarityTile) {
    const int64_t cols = std::min(mmpcd::kSimilarityTile, len - j0);
    const at::Tensor unit_j = unit.narrow(2, j0, cols);
    at::Tensor weight = at::bmm(unit_t, unit_j);                 // (N, L, cols): s_ij
    at::Tensor grad_sim = at::bmm(gy_t, v.narrow(2, j0, cols));  // gy_i . v_j
    // weight <- w_ij, grad_sim <- dL/ds_ij
    MMPCD_DISPATCH_DEVICE(propagation_weight_grad, weight, weight, grad_sim, gamma, clamp_min);
    grad_v.narrow(2, j0, cols).copy_(at::bmm(gy, weight));  // sum_i w_ij gy_i
    // s_ij = u_i . u_j feeds both u_i and u_j.
    mmpcd::add_bmm_(grad_unit, unit_j, grad_sim.transpose(1, 2));
    at::Tensor grad_unit_j = grad_unit.narrow(2, j0, cols);
    mmpcd::add_bmm_(grad_unit_j, unit, grad_sim);
  }
  at::Tensor grad_x = mmpcd::normalize_channels_backward(grad_unit, unit_norm[0], unit_norm[1]);
  return {grad_x.view(x.sizes()), grad_v.view(value.sizes())};
}
