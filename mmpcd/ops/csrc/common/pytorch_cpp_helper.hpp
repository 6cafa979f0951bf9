// Argument checks and device dispatch shared by the entry functions of mmpcd._ext.
#pragma once
#include <ATen/ATen.h>

#include <vector>

#define MMPCD_CHECK_FLOATING(x) \
  TORCH_CHECK(at::isFloatingType((x).scalar_type()), #x " must be a floating-point tensor")
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

// Unit vectors along dim 1 of (N, C, L) features, as F.normalize(eps=1e-12); returns
// {x_unit, norm} with norm (N, 1, L).
inline std::vector<at::Tensor> normalize_channels(const at::Tensor& x) {
  at::Tensor norm = x.norm(2, {1}, true).clamp_min(1e-12);
  return {x / norm, norm};
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
