// Everything `wgan train` can be told, every default in one place. The CLI fills it, resolve()
// applies the per-loss defaults and checks every field, and the resolved form is what
// config.json and each checkpoint hold.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "wgan/data/fashion_mnist.h"
#include "wgan/models/model_config.h"

namespace wgan {

// On the CPU a new run without --width / --lr uses these instead of model.width 64 and the
// loss's 1e-4 (wgan-gp): the best Fashion-MNIST quality per minute measured on a 2-core CPU
// (docs/performance-cpu.md). Applied by run_train, so --dry-run and config.json show them.
inline constexpr int64_t kCpuDefaultWidth = 32;
inline constexpr double kCpuDefaultLearningRate = 2e-4;

struct TrainConfig {
  ModelConfig model;                      // networks (resolution and channels come from the data)

  // Data
  std::string data = "fashion-mnist";     // fashion-mnist (built in), a prepared DATASET, or a FOLDER of images
  std::string data_dir = kFashionMnistDefaultDir;  // where the Fashion-MNIST idx files are
  int64_t max_images = 0;                 // use only the first N images (0 = all)
  bool xflip = false;                     // mirror training images left-right at random (augmentation)

  // Loss
  std::string loss = "wgan-gp";           // wgan-gp, wgan (weight clipping) or gan (non-saturating BCE)
  double gp_lambda = 10.0;                // gradient penalty weight (wgan-gp)
  int64_t gp_every = 1;                   // lazy penalty: compute it every k-th critic step, scaled by k (speed option)
  double clip = 0.01;                     // weight clipping bound (wgan)

  // Optimisation; unset fields take the loss's defaults in resolve()
  int64_t batch = 64;                     // images per critic step and per generator step
  std::optional<int64_t> n_critic;        // critic steps per generator step: wgan-gp 5, wgan 5, gan 1
  std::optional<double> lr;               // learning rate: wgan-gp 1e-4 (Adam), wgan 5e-5 (RMSprop), gan 2e-4 (Adam)
  std::optional<double> beta1;            // Adam beta1: wgan-gp 0, gan 0.5
  std::optional<double> beta2;            // Adam beta2: wgan-gp 0.9, gan 0.999
  double ema_kimg = 10.0;                 // half-life of the generator's moving average in kimg (0 = off)
  double ema_rampup = 0.05;               // half-life is at most this fraction of the images seen so far

  // Length: exactly one is the run's total (a resumed run continues up to it)
  std::optional<double> kimg;             // thousands of real images shown to the critic
  std::optional<int64_t> steps;           // generator steps
  std::optional<double> epochs;           // passes of the critic over the dataset
  int64_t total_steps = 0;                // resolved: generator steps in the whole run

  // Runtime
  uint64_t seed = 1;                      // seeds weights, noise, data order and the fixed sample z
  int64_t threads = 0;                    // CPU threads for LibTorch (0 = all cores)
  std::string device = "auto";            // cpu, cuda or auto (cuda when available)
  std::string precision = "auto";         // auto (bf16 where the device has it natively), fp32, or bf16: the
                                          // networks under autocast, weights, penalty and losses in fp32
  bool channels_last = false;             // NHWC memory for the networks and batches (GPU speed option)
  std::string gpu_data = "auto";          // keep the uint8 dataset on the GPU and batch there: auto (when it fits), on, off
  bool cuda_graph = false;                // capture one iteration as a CUDA graph and replay it (GPU speed option)
  int64_t check_every = 0;                // generator steps between host reads of losses and the NaN guard
                                          // (0 = every step on the CPU, every --log-every steps on a GPU)

  // Output
  std::string run_dir = "runs/fashion-mnist";  // run directory; --name NAME sets runs/NAME
  int64_t log_every = 50;                 // generator steps between metrics.jsonl lines
  int64_t sample_every = 250;             // generator steps between sample grids
  int64_t checkpoint_every = 1000;        // generator steps between checkpoints (and one at the end)
  int64_t keep_checkpoints = 3;           // how many of the latest checkpoints to keep
  int64_t sample_count = 64;              // images in each grid (fixed z)
  int64_t grid_nrow = 8;                  // images per grid row

  // Quality metrics during training (wgan/metrics), appended to metrics.jsonl
  std::string metrics;                    // comma list (swd, fd-fmnist, fid, kid); "" = none
  double metrics_every_kimg = 0;          // kimg between evaluations (0 = only at the end)
  int64_t metrics_num = 5000;             // generated images per evaluation
  std::string classifier;                 // fd-fmnist weights ("" = the committed ones)
  std::string inception;                  // fid/kid TorchScript Inception
};

// Fills the per-loss defaults, checks every field (UserError naming the flag), and turns the
// length into total_steps given the dataset size. `dataset_size` <= 0 skips epochs -> steps.
void resolve(TrainConfig& config, int64_t dataset_size);

// Checks a resolved config without touching the dataset (used on resume).
// image_shape_known = false: before the data is loaded (see validate(ModelConfig)).
void validate(const TrainConfig& config, bool image_shape_known = true);

nlohmann::json to_json(const TrainConfig& config);
TrainConfig train_config_from_json(const nlohmann::json& json);

}  // namespace wgan
