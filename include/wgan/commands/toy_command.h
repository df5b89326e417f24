// `wgan toy`: the WGAN-GP paper's 2-D experiments. MLP generator and critic (3 hidden ReLU layers
// of 512, He-uniform hidden weights, Glorot-uniform output layer, zero biases), 2-D Gaussian
// noise, batch 256, 5 critic steps, lambda 0.1, Adam(1e-4, 0.5, 0.9); --loss gan or wgan for
// contrast. Mode metrics on 2,500 samples and the paper's picture (critic contours, real and
// generated points).
#pragma once
#include <string>

#include "wgan/toy/toy_data.h"
#include "wgan/toy/toy_gan.h"
#include "wgan/util/stop_request.h"

namespace wgan {

// The defaults are the fast recipe: all 8 modes and over 80% high-quality samples in about two
// minutes on a 2-core CPU (docs/quality.md). paper_toy_config() holds the paper's own settings.
struct ToyConfig {
  std::string dataset = "8gaussians";  // 8gaussians, 25gaussians or swissroll
  std::string loss = "wgan-gp";        // wgan-gp, wgan (clipping, RMSprop 5e-5) or gan
  int64_t steps = 2500;                // generator iterations (the paper: 100,000)
  int64_t batch = 256;
  int64_t n_critic = 5;
  int64_t hidden = 128;                // units per hidden layer (the paper: 512, 16x the multiply-adds)
  double gp_lambda = 0.1;
  double ema = 0.99;                   // the metrics and picture use a moving average of the generator's
                                       // weights with this decay per step (0 = the raw generator)
  double lr = 1e-3;                    // 0 = the paper's: Adam 1e-4 (wgan-gp, gan), RMSprop 5e-5 (wgan)
  double lr_decay_from = 0.6;          // from this fraction of --steps on, the learning rate falls linearly
                                       // to 0 at the last step (1 = constant, the paper's)
  int64_t eval_every = 500;            // generator steps between metric lines (and the picture)
  int64_t eval_samples = 2500;
  double stop_at_quality = 0;  // stop early once every mode is covered and this share is high quality (0 = never)
  uint64_t seed = 1;
  int64_t threads = 0;
  std::string out = "runs/toy";        // metrics.jsonl and <dataset>.png go here
  bool quiet = false;
};

struct ToyResult {
  int64_t steps = 0;      // generator steps done
  ModeMetrics metrics;    // at the end, of the averaged generator when --ema > 0 (zeros for swissroll)
  ModeMetrics raw_metrics;  // the same for the raw generator
  std::string picture;    // the PNG written
};

// The WGAN-GP paper's toy settings (`wgan toy --paper`): hidden 512, its learning rate held
// constant, 20,000 steps (about 100 minutes on a 2-core CPU; the paper runs 100,000).
ToyConfig paper_toy_config();

// --lr, or (0) the paper's toy rate for the loss: Adam 1e-4, RMSprop at the loss's own rate.
double toy_learning_rate(const ToyConfig& config);

// One line for the start of a run: the settings, and the expected time from `seconds_per_step`.
std::string describe_toy_run(const ToyConfig& config, double seconds_per_step);

ToyResult run_toy(const ToyConfig& config, const StopRequest* stop = nullptr);

}  // namespace wgan
