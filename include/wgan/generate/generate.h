// Running a generator on many latent vectors: in batches, without autograd, results on the CPU.
// Used by the training grids, `sample`, `eval`, `export` and the quality metrics.
#pragma once
#include <torch/torch.h>

#include <cstdint>

#include "wgan/models/networks.h"

namespace wgan {

// The generator's images (N x C x H x W in [-1, 1], on the CPU) for `z` (N x latent, any device),
// `batch` rows at a time on `device`. A conditional generator takes `labels` (int64 N). Gives way
// to a stop signal between batches (abandon_if_stopped) when one was asked to.
torch::Tensor run_generator(GeneratorNet& net, const torch::Tensor& z, const torch::Tensor& labels,
                            torch::Device device, int64_t batch);

// `count` images from draw_z(count, latent_dim, seed); the same seed gives the same images whatever
// the batch size.
torch::Tensor generate(GeneratorNet& net, int64_t latent_dim, int64_t count, uint64_t seed, torch::Device device,
                       int64_t batch = 256, const torch::Tensor& labels = {});

}  // namespace wgan
