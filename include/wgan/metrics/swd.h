// Sliced Wasserstein distance on Laplacian-pyramid patches, as ProGAN measures it: 7x7 patches,
// 128 per image per level, levels from the full resolution down to 16x16, each set normalised
// per channel by its own statistics, 4 repeats of 128 random directions, reported x1e3.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace wgan {

struct SwdOptions {
  int64_t patch_size = 7;
  int64_t patches_per_image = 128;
  int64_t repeats = 4;
  int64_t directions_per_repeat = 128;
  int64_t min_resolution = 16;
  uint64_t seed = 0;
};

struct SwdResult {
  std::vector<int64_t> resolutions;  // one per level, highest first
  std::vector<double> per_level;     // SWD x1e3 per level
  double average = 0;                // mean over levels
};

// Laplacian pyramid of N x C x H x W float images with the 5x5 binomial filter (mirror edges):
// band-pass levels from H down, then the low-pass residual at the smallest level.
std::vector<torch::Tensor> laplacian_pyramid(const torch::Tensor& images, int64_t levels);

// `count` random 7x7 patches per image, as rows N*count x (C*7*7), drawn from `rng`.
torch::Tensor random_patches(const torch::Tensor& level, int64_t count, int64_t patch_size, at::Generator& rng);

// Per-channel normalisation of descriptors (M x C*k*k) by the set's own mean and std.
torch::Tensor normalize_descriptors(const torch::Tensor& descriptors, int64_t channels);

// Mean over 4 x 128 random unit directions of the mean absolute difference of the sorted
// projections of two equally large descriptor sets.
double sliced_wasserstein(const torch::Tensor& a, const torch::Tensor& b, int64_t repeats, int64_t directions,
                          at::Generator& rng);

// SWD between two uint8 image sets N x C x H x W (the same N, H, W, C); gray is tiled to RGB.
SwdResult sliced_wasserstein_distance(const torch::Tensor& real_uint8, const torch::Tensor& fake_uint8,
                                      const SwdOptions& options = {});

}  // namespace wgan
