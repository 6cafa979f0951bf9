// CUDA kernels of mmpcd._ext. Geometry and weights come from pixel_geometry.hpp so that the
// CPU and CUDA kernels compute identical distances. Feature and similarity kernels take
// scalar_t (double, float, c10::Half, c10::BFloat16) storage and compute in acc_t
// (at::opmath_type: float for the half types); geometry always runs in acc_t.
#pragma once
#include <cuda_runtime.h>

#include "pixel_geometry.hpp"

namespace mmpcd {

constexpr int kThreads = 256;
// Source cells scanned per round by positive_pair_sum_kernel (shared-memory list size).
constexpr int kPairChunk = 1024;

inline int blocks_for(int64_t n, int threads = kThreads) {
  const int64_t blocks = (n + threads - 1) / threads;
  return static_cast<int>(blocks < 65535 * 8 ? blocks : 65535 * 8);
}

template <typename T>
__global__ void coord_distance_kernel(const T* coord_q, const T* coord_k, int hq, int wq, int hk,
                                      int wk, int64_t total, T* out) {
  const int len_q = hq * wq, len_k = hk * wk;
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < total;
       k += (int64_t)blockDim.x * gridDim.x) {
    const int j = static_cast<int>(k % len_k);
    const int i = static_cast<int>((k / len_k) % len_q);
    const int64_t b = k / ((int64_t)len_k * len_q);
    out[k] = CellToGrid<T>(coord_q + 4 * b, hq, wq, i, coord_k + 4 * b, hk, wk).distance(j);
  }
}

// One block per output cell (b, o): sum of src rows over the source cells closer than
// pos_ratio. Threads first list the positive cells of a chunk in shared memory (cheap
// distance tests spread over threads), then add their rows channel by channel (coalesced,
// src is (N, Ls, C)). Boxes, sums and counts are acc_t.
template <typename scalar_t, typename acc_t>
__global__ void positive_pair_sum_kernel(const scalar_t* src, const acc_t* coord_out,
                                         const acc_t* coord_src, int ho, int wo, int hs, int ws,
                                         int channels, acc_t pos_ratio, acc_t* sum,
                                         acc_t* count) {
  __shared__ int positives[kPairChunk];
  __shared__ int num_positives;
  const int len_o = ho * wo, len_s = hs * ws;
  const int64_t row = blockIdx.x;
  const int64_t b = row / len_o;
  const CellToGrid<acc_t> cell(coord_out + 4 * b, ho, wo, static_cast<int>(row % len_o),
                               coord_src + 4 * b, hs, ws);
  acc_t* out_row = sum + row * channels;
  int total_positives = 0;
  for (int s0 = 0; s0 < len_s; s0 += kPairChunk) {
    if (threadIdx.x == 0) num_positives = 0;
    __syncthreads();
    const int s_end = min(s0 + kPairChunk, len_s);
    for (int s = s0 + threadIdx.x; s < s_end; s += blockDim.x) {
      if (cell.distance(s) < pos_ratio)
        positives[atomicAdd(&num_positives, 1)] = s;
    }
    __syncthreads();
    const int found = num_positives;
    for (int c = threadIdx.x; c < channels; c += blockDim.x) {
      acc_t acc = 0;
      for (int k = 0; k < found; ++k)
        acc += static_cast<acc_t>(src[(b * len_s + positives[k]) * channels + c]);
      out_row[c] += acc;
    }
    total_positives += found;
    __syncthreads();  // the list is rewritten in the next round
  }
  if (threadIdx.x == 0) count[row] = static_cast<acc_t>(total_positives);
}

template <typename scalar_t, typename acc_t>
__global__ void propagation_weight_kernel(scalar_t* sim, int64_t total, acc_t gamma,
                                          acc_t clamp_min) {
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < total;
       k += (int64_t)blockDim.x * gridDim.x)
    sim[k] = static_cast<scalar_t>(
        propagation_weight(static_cast<acc_t>(sim[k]), gamma, clamp_min));
}

template <typename scalar_t, typename acc_t>
__global__ void propagation_weight_grad_kernel(scalar_t* sim, scalar_t* grad, int64_t total,
                                               acc_t gamma, acc_t clamp_min) {
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < total;
       k += (int64_t)blockDim.x * gridDim.x) {
    const acc_t s = static_cast<acc_t>(sim[k]);
    grad[k] = static_cast<scalar_t>(static_cast<acc_t>(grad[k]) *
                                    propagation_weight_grad(s, gamma, clamp_min));
    sim[k] = static_cast<scalar_t>(propagation_weight(s, gamma, clamp_min));
  }
}

// One warp per row of the (rows, tile) block of q_i . k_j; the cosine ordering is that of
// q_i . k_j / |k_j| (inv_norm_k, (N, len_k)); the first maximum wins. Scores, inv_norm_k and
// the running maxima are acc_t.
template <typename scalar_t, typename acc_t>
__global__ void argmax_update_kernel(const scalar_t* sim, const acc_t* inv_norm_k, int64_t rows,
                                     int64_t len_q, int64_t len_k, int tile, int64_t offset,
                                     acc_t* best_val, int64_t* best_idx) {
  const int lane = threadIdx.x % 32;
  const int64_t warps_per_grid = (int64_t)gridDim.x * (blockDim.x / 32);
  for (int64_t r = (blockIdx.x * (int64_t)blockDim.x + threadIdx.x) / 32; r < rows;
       r += warps_per_grid) {
    const scalar_t* row = sim + r * tile;
    const acc_t* scale = inv_norm_k + (r / len_q) * len_k + offset;
    acc_t val = best_val[r];
    int64_t idx = best_idx[r];
    int improved = 0;
    for (int j = lane; j < tile; j += 32) {
      const acc_t score = static_cast<acc_t>(row[j]) * scale[j];  // cosine up to |q_i|
      if (score > val) {
        val = score;
        idx = offset + j;
        improved = 1;
      }
    }
    // Reduce (value, index) over the warp: larger value wins, ties go to the smaller index.
    for (int delta = 16; delta > 0; delta /= 2) {
      const acc_t other_val = __shfl_down_sync(0xffffffff, val, delta);
      const int64_t other_idx = __shfl_down_sync(0xffffffff, idx, delta);
      const int other_improved = __shfl_down_sync(0xffffffff, improved, delta);
      if (other_improved && (!improved || other_val > val ||
                             (other_val == val && other_idx < idx))) {
        val = other_val;
        idx = other_idx;
        improved = 1;
      }
    }
    if (lane == 0 && improved) {
      best_val[r] = val;
      best_idx[r] = idx;
    }
  }
}

}  // namespace mmpcd
