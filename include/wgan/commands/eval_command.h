// `wgan eval`: quality figures of a trained generator, one JSON line.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "wgan/util/device.h"

namespace wgan {

struct EvalConfig {
  std::string checkpoint;          // checkpoint file or run directory (its newest)
  std::string metrics;             // comma list; "" = swd,fd-fmnist on Fashion-MNIST, swd otherwise
  std::string data;                // real images; "" = the run's --data
  std::string data_dir;            // Fashion-MNIST idx folder; "" = the run's
  int64_t num = 10000;             // generated images (and real ones, where the metric compares equal sets)
  uint64_t seed = 0;               // latent vectors, patches, directions, subsets
  bool use_ema = true;
  DeviceChoice device = DeviceChoice::kAuto;
  std::string classifier;          // fd-fmnist weights ("" = committed)
  std::string inception;           // fid/kid TorchScript network
  std::string out;                 // also append the JSON line to this file
  int64_t threads = 0;             // CPU threads (0 = all cores)
};

// Evaluates and returns the figures (with the checkpoint, step, and settings).
nlohmann::json run_eval(const EvalConfig& config);

}  // namespace wgan
