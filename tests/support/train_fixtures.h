// What the training tests share: small synthetic datasets, a fresh temporary directory, the tiny
// train config they run, and a fixture that makes CPU reductions deterministic.
#pragma once
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "wgan/data/dataset.h"
#include "wgan/run/train_config.h"

namespace wgan::test_support {

// Bright squares of random size on black, 32x32 gray: something a generator can learn in a few steps.
inline ImageDataset square_dataset(int64_t n) {
  torch::manual_seed(99);
  auto images = torch::zeros({n, 32, 32, 1}, torch::kUInt8);
  auto sizes = torch::randint(4, 14, {n});
  for (int64_t i = 0; i < n; ++i) {
    const int64_t s = sizes[i].item<int64_t>();
    images[i].narrow(0, 16 - s, 2 * s).narrow(1, 16 - s, 2 * s).fill_(220);
  }
  return {images, "squares"};
}

// Uniform noise, 32x32 gray.
inline ImageDataset noise_dataset(int64_t n) {
  torch::manual_seed(5);
  return {torch::randint(0, 256, {n, 32, 32, 1}, torch::kUInt8), "noise"};
}

// An empty directory of this process under the system's temporary folder.
inline std::string fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("wgan_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

// Width 8, latent 16, batch 8 on the CPU, a metrics line every step, no grid or checkpoint before
// the end; resolved, so a Trainer takes it as it is.
inline TrainConfig tiny_config(const std::string& run_dir, int64_t steps) {
  TrainConfig c;
  c.model.width = 8;
  c.model.latent_dim = 16;
  c.batch = 8;
  c.steps = steps;
  c.run_dir = run_dir;
  c.log_every = 1;
  c.sample_every = 1000;
  c.checkpoint_every = 1000;
  c.sample_count = 16;
  c.device = DeviceChoice::kCpu;
  resolve(c, 0);
  return c;
}

// One CPU thread, so that reductions, and so whole runs, repeat exactly.
class DeterministicTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
};

}  // namespace wgan::test_support
