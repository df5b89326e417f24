// The latent vectors a generator is run on: drawn from a seed (the one place z is drawn, where a
// truncation would go), one vector per seed, spherical paths between two.
#pragma once
#include <torch/torch.h>

#include <cstdint>

namespace wgan {

// `count` x `latent_dim` float32 z ~ N(0, I) on the CPU, from a private generator seeded with `seed`:
// the same seed gives the same z on any device and whatever else draws random numbers.
torch::Tensor draw_z(int64_t count, int64_t latent_dim, uint64_t seed);

// The latent vector a seed stands for in --interpolate: the first row of draw_z(1, ..., seed).
torch::Tensor latent_for_seed(uint64_t seed, int64_t latent_dim);

// Spherical interpolation from `a` to `b` (1-D latent vectors) at `steps` evenly spaced points,
// both ends included: steps x latent. Falls back to linear when a and b are (anti)parallel.
torch::Tensor slerp_path(const torch::Tensor& a, const torch::Tensor& b, int64_t steps);

}  // namespace wgan
