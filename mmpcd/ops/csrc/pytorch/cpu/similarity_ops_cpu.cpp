// CPU kernels applied to one (N, L, tile) block of cosine similarities at a time.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "pixel_geometry.hpp"

void propagation_weight_cpu(at::Tensor sim, double gamma, double clamp_min) {
  AT_DISPATCH_FLOATING_TYPES(sim.scalar_type(), "propagation_weight_cpu", [&] {
    scalar_t* data = sim.data_ptr<scalar_t>();
    const scalar_t g = static_cast<scalar_t>(gamma), lo = static_cast<scalar_t>(clamp_min);
    at::parallel_for(0, sim.numel(), 4096, [&](int64_t begin, int64_t end) {
      for (int64_t k = begin; k < end; ++k) data[k] = mmpcd::propagation_weight(data[k], g, lo);
    });
  });
}

void propagation_weight_grad_cpu(at::Tensor sim, at::Tensor grad, double gamma,
                                 double clamp_min) {
  AT_DISPATCH_FLOATING_TYPES(sim.scalar_type(), "propagation_weight_grad_cpu", [&] {
    scalar_t* s = sim.data_ptr<scalar_t>();
    scalar_t* g = grad.data_ptr<scalar_t>();
    const scalar_t ga = static_cast<scalar_t>(gamma), lo = static_cast<scalar_t>(clamp_min);
    at::parallel_for(0, sim.numel(), 4096, [&](int64_t begin, int64_t end) {
      for (int64_t k = begin; k < end; ++k) {
        g[k] *= mmpcd::propagation_weight_grad(s[k], ga, lo);
        s[k] = mmpcd::propagation_weight(s[k], ga, lo);
      }
    });
  });
}

// sim (N, Lq, tile) holds q_i . k_j for key pixels j = offset .. offset + tile - 1; the cosine
// ordering of row i is that of q_i . k_j / |k_j|.
void argmax_update_cpu(const at::Tensor& sim, const at::Tensor& inv_norm_k, at::Tensor best_val,
                       at::Tensor best_idx, int64_t offset) {
  const int64_t len_q = sim.size(1), rows = sim.size(0) * len_q, tile = sim.size(2);
  const int64_t len_k = inv_norm_k.size(1);
  AT_DISPATCH_FLOATING_TYPES(sim.scalar_type(), "argmax_update_cpu", [&] {
    const scalar_t* s = sim.data_ptr<scalar_t>();
    const scalar_t* inv_norm = inv_norm_k.data_ptr<scalar_t>();
    scalar_t* val = best_val.data_ptr<scalar_t>();
    int64_t* idx = best_idx.data_ptr<int64_t>();
    at::parallel_for(0, rows, 64, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const scalar_t* row = s + r * tile;
        const scalar_t* scale = inv_norm + (r / len_q) * len_k + offset;
        for (int64_t j = 0; j < tile; ++j) {
          const scalar_t score = row[j] * scale[j];  // cosine up to the constant |q_i|
          if (score > val[r]) {  // strict: the first maximum wins, as in torch.argmax
            val[r] = score;
            idx[r] = offset + j;
          }
        }
      }
    });
  });
}
