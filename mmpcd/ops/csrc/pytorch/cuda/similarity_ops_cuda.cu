// CUDA launchers of the kernels applied to one block of cosine similarities.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>

#include "pixel_ops_cuda_kernel.cuh"

void propagation_weight_cuda(at::Tensor sim, double gamma, double clamp_min) {
  const c10::cuda::CUDAGuard guard(sim.device());
  const int64_t total = sim.numel();
  if (total == 0) return;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, sim.scalar_type(),
                                  "propagation_weight_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    mmpcd::propagation_weight_kernel<scalar_t, acc_t>
        <<<mmpcd::blocks_for(total), mmpcd::kThreads, 0, at::cuda::getCurrentCUDAStream()>>>(
            sim.data_ptr<scalar_t>(), total, static_cast<acc_t>(gamma),
            static_cast<acc_t>(clamp_min));
  });
  AT_CUDA_CHECK(cudaGetLastError());
}

void propagation_weight_grad_cuda(at::Tensor sim, at::Tensor grad, double gamma,
                                  double clamp_min) {
  const c10::cuda::CUDAGuard guard(sim.device());
  const int64_t total = sim.numel();
  if (total == 0) return;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, sim.scalar_type(),
                                  "propagation_weight_grad_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    mmpcd::propagation_weight_grad_kernel<scalar_t, acc_t>
        <<<mmpcd::blocks_for(total), mmpcd::kThreads, 0, at::cuda::getCurrentCUDAStream()>>>(
            sim.data_ptr<scalar_t>(), grad.data_ptr<scalar_t>(), total,
            static_cast<acc_t>(gamma), static_cast<acc_t>(clamp_min));
  });
  AT_CUDA_CHECK(cudaGetLastError());
}

void argmax_update_cuda(const at::Tensor& sim, const at::Tensor& inv_norm_k,
                        at::Tensor best_val, at::Tensor best_idx, int64_t offset) {
  const c10::cuda::CUDAGuard guard(sim.device());
  const int64_t rows = sim.size(0) * sim.size(1);
  if (rows == 0) return;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, sim.scalar_type(),
                                  "argmax_update_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    mmpcd::argmax_update_kernel<scalar_t, acc_t>
        <<<mmpcd::blocks_for(rows * 32), mmpcd::kThreads, 0,
           at::cuda::getCurrentCUDAStream()>>>(
            sim.data_ptr<scalar_t>(), inv_norm_k.data_ptr<acc_t>(), rows, sim.size(1),
            inv_norm_k.size(1), static_cast<int>(sim.size(2)), offset,
            best_val.data_ptr<acc_t>(), best_idx.data_ptr<int64_t>());
  });
  AT_CUDA_CHECK(cudaGetLastError());
}
