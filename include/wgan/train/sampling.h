// Generating images from a trained generator: loading it from a checkpoint (or the blog post's
// G.ckpt), latent vectors from seeds, slerp paths. `wgan sample` is sample_command.h.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>

#include "wgan/models/networks.h"
#include "wgan/train/train_config.h"

namespace wgan {

// Spherical interpolation from `a` to `b` (1-D latent vectors) at `steps` evenly spaced points,
// both ends included: steps x latent. Falls back to linear when a and b are (anti)parallel.
torch::Tensor slerp_path(const torch::Tensor& a, const torch::Tensor& b, int64_t steps);

// The latent vector a seed stands for in --interpolate: drawn from that seed alone.
torch::Tensor latent_for_seed(uint64_t seed, int64_t latent_dim);

// A generator loaded from a checkpoint, in eval mode, on `device`.
struct LoadedGenerator {
  std::shared_ptr<GeneratorNet> net;
  TrainConfig config;  // the run's config
  std::string source;  // the checkpoint file
  bool is_ema = false;
  int64_t step = 0;    // generator steps the checkpoint had trained (0 for the blog post's files)
};
LoadedGenerator load_generator(const std::string& checkpoint_or_run_dir, bool use_ema, torch::Device device);

// The blog post's generator from its PyTorch state dict (`torch.save(G.state_dict(), 'G.ckpt')`).
LoadedGenerator load_blog_generator(const std::string& torch_file, torch::Device device);

// `count` images (B x C x H x W in [-1, 1]) from z ~ N(0, I) drawn from `seed`; the same seed gives
// the same images whatever the batch size. A conditional generator takes `labels` (int64 count).
torch::Tensor generate(GeneratorNet& net, int64_t latent_dim, int64_t count, uint64_t seed, torch::Device device,
                       int64_t batch = 256, const torch::Tensor& labels = {});

// `count` classes in the proportions of the model's training data (uniform when it has no counts),
// in class order: class k fills about count * share_k consecutive places. Undefined when the model is
// unconditional. What the metrics generate from a conditional model.
torch::Tensor labels_at_class_frequencies(const ModelConfig& model, int64_t count);

// The cumulative shares of the model's classes in its training data (float64, classes; uniform when
// it has no counts): class k is drawn for u in [cdf[k-1], cdf[k]). Undefined when unconditional.
torch::Tensor class_cdf(const ModelConfig& model);

// A class of a conditional model by name or by index ("Coat", "4"); UserError naming --class and
// listing the classes otherwise.
int64_t parse_class(const ModelConfig& model, const std::string& text);

}  // namespace wgan
