// Generating images from a checkpoint: `wgan sample`.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>

#include "wgan/models/networks.h"
#include "wgan/train/train_config.h"

namespace wgan {

struct SampleConfig {
  std::string checkpoint;     // checkpoint file or run directory (its newest checkpoint)
  int64_t num = 64;           // how many images
  std::string out_dir;        // write NNNNNN.png files here ...
  std::string grid;           // ... or one grid PNG here (default when neither is given: samples.png)
  int64_t nrow = 8;           // grid columns
  uint64_t seed = 0;          // the latent vectors are a function of this seed alone
  bool use_ema = true;        // sample the generator's moving average (false: the raw generator)
  std::string device = "auto";  // cpu, cuda or auto
  int64_t batch = 256;        // images generated per forward pass
  std::string arch;           // "seed": --checkpoint is the seed's own G.ckpt (a PyTorch state dict)
  std::string interpolate;    // "SEED_A,SEED_B": a strip from z(SEED_A) to z(SEED_B) instead of random samples
  int64_t steps = 8;          // images along the interpolation, both ends included
};

// Spherical interpolation from `a` to `b` (1-D latent vectors) at `steps` evenly spaced points,
// both ends included: steps x latent. Falls back to linear when a and b are (anti)parallel.
torch::Tensor slerp_path(const torch::Tensor& a, const torch::Tensor& b, int64_t steps);

// The latent vector a seed stands for in --interpolate: drawn from that seed alone.
torch::Tensor latent_for_seed(uint64_t seed, int64_t latent_dim);

void validate(const SampleConfig& config);

// A generator loaded from a checkpoint, in eval mode, on `device`.
struct LoadedGenerator {
  std::shared_ptr<GeneratorNet> net;
  TrainConfig config;  // the run's config
  std::string source;  // the checkpoint file
  bool is_ema = false;
  int64_t step = 0;    // generator steps the checkpoint had trained (0 for the seed's files)
};
LoadedGenerator load_generator(const std::string& checkpoint_or_run_dir, bool use_ema, torch::Device device);

// The seed's generator from its PyTorch state dict (`torch.save(G.state_dict(), 'G.ckpt')`).
LoadedGenerator load_seed_generator(const std::string& torch_file, torch::Device device);

// `count` images (B x C x H x W in [-1, 1]) from z ~ N(0, I) drawn from `seed`; the same seed gives
// the same images whatever the batch size.
torch::Tensor generate(GeneratorNet& net, int64_t latent_dim, int64_t count, uint64_t seed, torch::Device device,
                       int64_t batch = 256);

// `wgan export`: the generator (its EMA unless `use_ema` is false) as a PyTorch state dict file
// that torch.load reads; with --arch seed its names are the seed's own.
void export_generator(const std::string& checkpoint_or_run_dir, bool use_ema, const std::string& to);

// Runs `wgan sample`; returns the paths written.
std::vector<std::string> run_sample(const SampleConfig& config);

}  // namespace wgan
