// The CI quality check: a short Fashion-MNIST training (the demo's settings, fewer steps) must
// bring the classifier distance down by a large factor from the untrained generator and spread
// its samples over at least 8 of the 10 classes. Fixed seed, wide margins.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "wgan/data/fashion_mnist.h"
#include "wgan/train/trainer.h"

namespace fs = std::filesystem;
using namespace wgan;

TEST(Quality, ShortFashionMnistTrainingLearnsTheClasses) {
  auto dataset = load_fashion_mnist(kFashionMnistDefaultDir, FashionMnistSplit::kTrain);
  TrainConfig config;
  config.model.width = 16;
  config.lr = 2e-4;
  config.steps = 400;
  config.seed = 1;
  config.metrics = "fd-fmnist";
  config.metrics_num = 2000;
  config.log_every = 100;
  config.sample_every = 400;
  config.checkpoint_every = 400;
  config.run_dir = (fs::temp_directory_path() / ("wgan_quality_" + std::to_string(::getpid()))).string();
  fs::remove_all(config.run_dir);
  resolve(config, dataset.size());
  Trainer trainer(config, dataset, /*quiet=*/true);

  const auto before = trainer.evaluate_quality();
  ASSERT_EQ(trainer.run(), Trainer::Outcome::kFinished);
  // The run ends with an evaluation: the last line of metrics.jsonl.
  std::ifstream metrics(fs::path(config.run_dir) / "metrics.jsonl");
  nlohmann::json after;
  for (std::string line; std::getline(metrics, line);) {
    auto parsed = nlohmann::json::parse(line);
    if (parsed.contains("fd_fmnist")) after = parsed;
  }
  ASSERT_TRUE(after.contains("fd_fmnist"));
  EXPECT_EQ(after["step"].get<int64_t>(), 400);
  const double fd_before = before["fd_fmnist"].get<double>();
  const double fd_after = after["fd_fmnist"].get<double>();
  std::cout << "fd-fmnist: untrained " << fd_before << ", after 400 steps " << fd_after << " (floor "
            << after["fd_fmnist_floor"].get<double>() << "), classes covered "
            << after["fd_fmnist_classes_covered"].get<int64_t>() << "\n";
  EXPECT_GT(fd_before, 5.0 * fd_after);
  EXPECT_GE(after["fd_fmnist_classes_covered"].get<int64_t>(), 8);
  fs::remove_all(config.run_dir);
}
