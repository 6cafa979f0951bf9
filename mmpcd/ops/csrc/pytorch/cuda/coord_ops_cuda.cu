// CUDA launchers of the coordinate ops.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>

#include "pixel_ops_cuda_kernel.cuh"

at::Tensor coord_distance_cuda(const at::Tensor& coord_q, const at::Tensor& coord_k, int64_t hq,
                               int64_t wq, int64_t hk, int64_t wk) {
  const c10::cuda::CUDAGuard guard(coord_q.device());
  const int64_t num = coord_q.size(0);
  at::Tensor out = at::empty({num, hq * wq, hk * wk}, coord_q.options());
  const int64_t total = out.numel();
  if (total == 0) return out;
  AT_DISPATCH_FLOATING_TYPES(coord_q.scalar_type(), "coord_distance_cuda", [&] {
    mmpcd::coord_distance_kernel<scalar_t>
        <<<mmpcd::blocks_for(total), mmpcd::kThreads, 0, at::cuda::getCurrentCUDAStream()>>>(
            coord_q.data_ptr<scalar_t>(), coord_k.data_ptr<scalar_t>(), hq, wq, hk, wk, total,
            out.data_ptr<scalar_t>());
  });
  AT_CUDA_CHECK(cudaGetLastError());
  return out;
}

std::vector<at::Tensor> positive_pair_sum_cuda(const at::Tensor& src,
                                               const at::Tensor& coord_out,
                                               const at::Tensor& coord_src, int64_t ho,
                                               int64_t wo, int64_t hs, int64_t ws,
                                               double pos_ratio) {
  const c10::cuda::CUDAGuard guard(src.device());
  const int64_t num = src.size(0), channels = src.size(2), rows = num * ho * wo;
  // sums and counts in the boxes' dtype: the accumulate type of src's
  at::Tensor sum = at::zeros({num, ho * wo, channels}, coord_out.options());
  at::Tensor count = at::zeros({num, ho * wo}, coord_out.options());
  if (rows == 0) return {sum, count};
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, src.scalar_type(),
                                  "positive_pair_sum_cuda", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    mmpcd::positive_pair_sum_kernel<scalar_t, acc_t>
        <<<rows, mmpcd::kThreads, 0, at::cuda::getCurrentCUDAStream()>>>(
            src.data_ptr<scalar_t>(), coord_out.data_ptr<acc_t>(), coord_src.data_ptr<acc_t>(),
            ho, wo, hs, ws, channels, static_cast<acc_t>(pos_ratio), sum.data_ptr<acc_t>(),
            count.data_ptr<acc_t>());
  });
  AT_CUDA_CHECK(cudaGetLastError());
  return {sum, count};
}
