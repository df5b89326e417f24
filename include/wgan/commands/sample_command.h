// `wgan sample`: images from a checkpoint, as PNG files or one grid, or a latent interpolation strip.
// A conditional model generates the classes asked for (all by default), the same z in each, so a
// grid shows one class per row.
#pragma once
#include <string>
#include <vector>

#include "wgan/util/device.h"

namespace wgan {

struct SampleConfig {
  std::string checkpoint;     // checkpoint file or run directory (its newest checkpoint)
  int64_t num = 0;            // how many images (0: 64); a conditional model: per class (0: --nrow without --class, else 64)
  std::string classes;        // conditional models: NAME|INDEX[,...] (default: every class, one after another)
  std::string out_dir;        // write NNNNNN.png files here ...
  std::string grid;           // ... or one grid PNG here (default when neither is given: samples.png)
  std::string npy;            // also the images as float32 N x C x H x W in [-1, 1] (a .npy file)
  int64_t nrow = 8;           // grid columns
  uint64_t seed = 0;          // the latent vectors are a function of this seed alone
  bool use_ema = true;        // sample the generator's moving average (false: the raw generator)
  DeviceChoice device = DeviceChoice::kAuto;
  int64_t batch = 256;        // images generated per forward pass
  std::string arch;  // "blog" (alias "seed"): --checkpoint is the blog post's own G.ckpt (a PyTorch state dict)
  std::string interpolate;    // "SEED_A,SEED_B": a strip from z(SEED_A) to z(SEED_B) instead of random samples
  int64_t steps = 8;          // images along the interpolation, both ends included
};

void validate(const SampleConfig& config);

// Runs `wgan sample`; returns the paths written.
std::vector<std::string> run_sample(const SampleConfig& config);

}  // namespace wgan
