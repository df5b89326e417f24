// Prepare and loader speed (issue: image folders). Writes N synthetic 178x218 JPEGs (CelebA's
// size; not timed), then times `prepare --preset celeba` on them, the loader's batch rate on the
// result, and how many batches per second training actually consumes at that size.
// Usage: wgan_prepare_speed [N=2000] [threads=0]
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>

#include "wgan/data/batcher.h"
#include "wgan/data/prepare_command.h"
#include "wgan/data/training_data.h"
#include "wgan/train/trainer.h"

namespace fs = std::filesystem;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 0;
  const fs::path root = fs::temp_directory_path() / "wgan_prepare_speed";
  fs::remove_all(root);
  fs::create_directories(root / "src");
  std::mt19937 rng(1);
  cv::Mat face(218, 178, CV_8UC3);
  for (int i = 0; i < n; ++i) {
    // Smooth gradients plus noise: JPEGs of a realistic size (CelebA's average about 8-12 KB).
    cv::randn(face, cv::Scalar(120, 110, 100), cv::Scalar(25, 25, 25));
    cv::GaussianBlur(face, face, cv::Size(5, 5), 0);
    char name[32];
    std::snprintf(name, sizeof name, "%06d.jpg", i);
    cv::imwrite((root / "src" / name).string(), face, {cv::IMWRITE_JPEG_QUALITY, 90});
  }

  wgan::PrepareConfig config;
  config.source = (root / "src").string();
  config.out = (root / "out").string();
  config.preset = "celeba";
  config.threads = threads;
  config.quiet = true;
  auto start = std::chrono::steady_clock::now();
  const auto report = wgan::run_prepare(config);
  const double prepare_s = seconds_since(start);
  std::printf("{\"bench\":\"prepare\",\"images\":%lld,\"seconds\":%.3f,\"images_per_s\":%.0f}\n",
              static_cast<long long>(report.kept), prepare_s, report.kept / prepare_s);

  auto dataset = wgan::load_prepared_dataset(config.out);
  wgan::EpochBatcher batcher(dataset, 64, 1, /*xflip=*/true);
  start = std::chrono::steady_clock::now();
  const int batches = 300;
  for (int i = 0; i < batches; ++i) wgan::to_signed_unit(batcher.batch(i));
  const double loader_rate = batches / seconds_since(start);
  std::printf("{\"bench\":\"loader\",\"batch\":64,\"resolution\":64,\"batches_per_s\":%.0f}\n", loader_rate);

  wgan::TrainConfig train;
  train.model.resolution = 64;
  train.model.channels = 3;
  train.batch = 64;
  train.steps = 3;
  train.device = wgan::DeviceChoice::kCpu;
  train.run_dir = (root / "run").string();
  wgan::resolve(train, dataset.size());
  wgan::Trainer trainer(train, dataset, true);
  trainer.train_step();
  start = std::chrono::steady_clock::now();
  trainer.train_step();
  trainer.train_step();
  const double consumed = 2.0 * *train.n_critic / seconds_since(start);
  std::printf("{\"bench\":\"training_consumption\",\"batch\":64,\"resolution\":64,\"batches_per_s\":%.2f,"
              "\"loader_headroom\":%.0f}\n", consumed, loader_rate / consumed);
  fs::remove_all(root);
  return 0;
}
