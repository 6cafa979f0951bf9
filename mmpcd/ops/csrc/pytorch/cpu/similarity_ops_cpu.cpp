// CPU kernels applied to one (N, L, tile) block of cosine similarities at a time. Blocks may
// be float64, float32, float16 or bfloat16; the arithmetic runs in at::opmath_type (float for
// the half types).
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>

#include "pixel_geometry.hpp"

void propagation_weight_cpu(at::Tensor sim, double gamma, double clamp_min) {
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, sim.scalar_type(),
                                  "propagation_weight_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    scalar_t* data = sim.data_ptr<scalar_t>();
    const acc_t g = static_cast<acc_t>(gamma), lo = static_cast<acc_t>(clamp_min);
    at::parallel_for(0, sim.numel(), 4096, [&](int64_t begin, int64_t end) {
      for (int64_t k = begin; k < end; ++k)
        data[k] = static_cast<scalar_t>(
            mmpcd::propagation_weight(static_cast<acc_t>(data[k]), g, lo));
    });
  });
}

void propagation_weight_grad_cpu(at::Tensor sim, at::Tensor grad, double gamma,
                                 double clamp_min) {
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, sim.scalar_type(),
                                  "propagation_weight_grad_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    scalar_t* s = sim.data_ptr<scalar_t>();
    scalar_t* g = grad.data_ptr<scalar_t>();
    const acc_t ga = static_cast<acc_t>(gamma), lo = static_cast<acc_t>(clamp_min);
    at::parallel_for(0, sim.numel(), 4096, [&](int64_t begin, int64_t end) {
      for (int64_t k = begin; k < end; ++k) {
        const acc_t sk = static_cast<acc_t>(s[k]);
        g[k] = static_cast<scalar_t>(static_cast<acc_t>(g[k]) *
                                     mmpcd::propagation_weight_grad(sk, ga, lo));
        s[k] = static_cast<scalar_t>(mmpcd::propagation_weight(sk, ga, lo));
      }
    });
  });
}

// sim (N, Lq, tile) holds q_i . k_j for key pixels j = offset .. offset + tile - 1; the cosine
// ordering of row i is that of q_i . k_j / |k_j|. inv_norm_k and best_val are in the
// accumulate type of sim's dtype.
void argmax_update_cpu(const at::Tensor& sim, const at::Tensor& inv_norm_k, at::Tensor best_val,
                       at::Tensor best_idx, int64_t offset) {
  const int64_t len_q = sim.size(1), rows = sim.size(0) * len_q, tile = sim.size(2);
  const int64_t len_k = inv_norm_k.size(1);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, sim.scalar_type(),
                                  "argmax_update_cpu", [&] {
    using acc_t = at::opmath_type<scalar_t>;
    const scalar_t* s = sim.data_ptr<scalar_t>();
    const acc_t* inv_norm = inv_norm_k.data_ptr<acc_t>();
    acc_t* val = best_val.data_ptr<acc_t>();
    int64_t* idx = best_idx.data_ptr<int64_t>();
    at::parallel_for(0, rows, 64, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const scalar_t* row = s + r * tile;
        const acc_t* scale = inv_norm + (r / len_q) * len_k + offset;
        for (int64_t j = 0; j < tile; ++j) {
          const acc_t score = static_cast<acc_t>(row[j]) * scale[j];  // cos up to |q_i|
          if (score > val[r]) {  // strict: the first maximum wins, as in torch.argmax
            val[r] = score;
            idx[r] = offset + j;
          }
        }
      }
    });
  });
}
