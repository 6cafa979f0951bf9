// Argument checks and device dispatch shared by the entry functions of mmpcd._ext.
#pragma once
#include <ATen/ATen.h>

#include <vector>

#define MMPCD_CHECK_FLOATING(x)                                                      \
  TORCH_CHECK((x).scalar_type() == at::kDouble || (x).scalar_type() == at::kFloat ||  \
                  (x).scalar_type() == at::kHalf || (x).scalar_type() == at::kBFloat16, \
              #x " must be a float64, float32, float16 or bfloat16 tensor")
#define MMPCD_CHECK_SAME_DEVICE(x, y) \
  TORCH_CHECK((x).device() == (y).device(), #x " and " #y " must be on the same device")
#define MMPCD_CHECK_SAME_DTYPE(x, y) \
  TORCH_CHECK((x).scalar_type() == (y).scalar_type(), #x " and " #y " must have the same dtype")

namespace mmpcd {

// Fails with a clear message when a CUDA tensor reaches an extension built without CUDA.
inline void check_device_built(const at::Tensor& tensor, const char* op) {
#ifndef MMPCD_WITH_CUDA
  TORCH_CHECK(!tensor.is_cuda(), op,
              ": mmpcd._ext was built without CUDA kernels; rebuild it on a machine with a "
              "CUDA torch and nvcc (or FORCE_CUDA=1), or use impl='pytorch'");
#endif
}

// dtype of the accumulators and results of the kernels for inputs of ``dtype``: float for
// half/bfloat16 inputs (whose GEMMs still run in half precision), the input dtype otherwise.
inline at::ScalarType accumulate_type(at::ScalarType dtype) {
  return dtype == at::kHalf || dtype == at::kBFloat16 ? at::kFloat : dtype;
}

// Unit vectors along dim 1 of (N, C, L) features, as F.normalize(eps=1e-12), computed in the
// accumulate type; returns {x_unit, norm} with norm (N, 1, L).
inline std::vector<at::Tensor> normalize_channels(const at::Tensor& x) {
  const at::Tensor x_acc = x.to(accumulate_type(x.scalar_type()));
  at::Tensor norm = x_acc.norm(2, {1}, true).clamp_min(1e-12);
  return {x_acc / norm, norm};
}

// out += a @ b for batched matrices; out may be the accumulate type of half a and b, whose
// product then runs in half precision (tensor cores) and is added in out's precision.
inline void add_bmm_(at::Tensor& out, const at::Tensor& a, const at::Tensor& b) {
  if (out.scalar_type() == a.scalar_type()) {
    out.baddbmm_(a, b);
  } else {
    out.add_(at::bmm(a, b));
  }
}

// Gradient through normalize_channels given the gradient of the unit vectors.
inline at::Tensor normalize_channels_backward(const at::Tensor& grad_unit,
                                              const at::Tensor& unit, const at::Tensor& norm) {
  return (grad_unit - unit * (grad_unit * unit).sum({1}, true)) / norm;
}

// Columns per block of similarities: keeps the extra memory at O(N * L * tile) instead of
// O(N * L * L) while the GEMMs stay large enough to run at full speed.
constexpr int64_t kSimilarityTile = 256;

}  // namespace mmpcd

// Calls name##_cuda(...) for CUDA tensors and name##_cpu(...) otherwise (MMCV-style dispatch
// in the entry functions).
#ifdef MMPCD_WITH_CUDA
#define MMPCD_DISPATCH_DEVICE(name, device_tensor, ...) \
  ((device_tensor).is_cuda() ? name##_cuda(__VA_ARGS__) : name##_cpu(__VA_ARGS__))
#else
#define MMPCD_DISPATCH_DEVICE(name, device_tensor, ...) \
  (mmpcd::check_device_built((device_tensor), #name), name##_cpu(__VA_ARGS__))
#endif
