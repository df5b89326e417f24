// A small but complete wgan checkpoint (tiny dcgan networks after one Adam step each, so the
// optimizers have state, their EMA, a fixed z, the random state), for the integrity tests and
// the fuzz seed corpus.
#pragma once
#include <torch/torch.h>

#include <filesystem>
#include <string>

#include "wgan/models/networks.h"
#include "wgan/run/checkpoint.h"
#include "train_fixtures.h"

namespace wgan::test_support {

// Writes RUN_DIR/checkpoints/ckpt-00000004.pt and returns its path.
inline std::string write_small_checkpoint(const std::string& run_dir) {
  torch::manual_seed(3);
  TrainConfig config = tiny_config(run_dir, 4);
  config.model.resolution = 32;
  config.model.channels = 1;
  auto g = make_generator(config.model), g_ema = make_generator(config.model);
  auto d = make_critic(config.model);
  torch::optim::Adam opt_g(g->parameters(), torch::optim::AdamOptions(1e-3));
  torch::optim::Adam opt_d(d->parameters(), torch::optim::AdamOptions(1e-3));
  const auto z = torch::randn({4, config.model.latent_dim});
  opt_g.zero_grad();
  g->forward(z).mean().backward();
  opt_g.step();
  opt_d.zero_grad();
  d->forward(torch::randn({4, 1, 32, 32})).mean().backward();
  opt_d.step();
  TrainingState state;
  state.step = 4;
  state.real_batches = 4;
  state.g_images = 32;
  const CheckpointParts parts{&config, &state, g.get(), d.get(), g_ema.get(), &opt_g, &opt_d, z};
  std::filesystem::create_directories(std::filesystem::path(run_dir) / "checkpoints");
  const std::string path = checkpoint_path(run_dir, 4);
  save_checkpoint(path, parts);
  return path;
}

}  // namespace wgan::test_support
