// Full training snapshots: G, D, G_ema, both optimisers, counters, RNG state, the fixed z and
// the config, in one LibTorch archive written atomically (temp file + rename).
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "wgan/run/train_config.h"

namespace wgan {

// Counters that say where a run stands.
struct TrainingState {
  int64_t step = 0;             // generator steps done
  int64_t real_batches = 0;     // real batches the critic has consumed (the data order's cursor)
  int64_t g_images = 0;         // images the generator has been trained on (EMA warm-up)
  double train_seconds = 0.0;   // wall time spent training, summed over resumes
  // --augment's probability now: --augment-p ada moves it during the run, so a resumed run must
  // continue from it (-1 in a checkpoint from before it was saved: the config's --augment-p).
  double augment_p = -1.0;
  std::vector<double> ada_smoothing;  // AdaptiveAugment::smoothing(), so that ada resumes exactly
};

// The parts a checkpoint is written from; optimisers may be null for an export.
struct CheckpointParts {
  const TrainConfig* config = nullptr;
  const TrainingState* state = nullptr;
  torch::nn::Module* generator = nullptr;
  torch::nn::Module* critic = nullptr;
  torch::nn::Module* generator_ema = nullptr;  // null when EMA is off
  torch::optim::Optimizer* generator_opt = nullptr;
  torch::optim::Optimizer* critic_opt = nullptr;
  torch::Tensor fixed_z;
};

void save_checkpoint(const std::string& path, const CheckpointParts& parts);

// An opened checkpoint. Every read error (truncated file, foreign file, missing entry) becomes a
// UserError naming the file.
class CheckpointReader {
 public:
  // `device`: where tensors are loaded (the training device).
  explicit CheckpointReader(const std::string& path, torch::Device device = torch::kCPU);

  const std::string& path() const { return path_; }
  const TrainConfig& config() const { return config_; }
  const TrainingState& state() const { return state_; }
  bool has(const std::string& key);

  void load_module(const std::string& key, torch::nn::Module& module);
  void load_optimizer(const std::string& key, torch::optim::Optimizer& optimizer);
  torch::Tensor tensor(const std::string& key);

  // Restores the global CPU (and CUDA, when saved and present) random generators.
  void restore_rng();

 private:
  std::string path_;
  torch::serialize::InputArchive archive_;
  TrainConfig config_;
  TrainingState state_;
};

// checkpoints/ckpt-NNNNNNNN.pt inside a run directory.
std::string checkpoint_path(const std::string& run_dir, int64_t step);

// Checkpoint files of a run directory, newest (highest step) first.
std::vector<std::string> list_checkpoints(const std::string& run_dir);

// Deletes all but the newest `keep` checkpoints.
void prune_checkpoints(const std::string& run_dir, int64_t keep);

// A checkpoint file, or the newest readable one in a run directory. Throws UserError when there
// is none; an unreadable newest file is reported on stderr and the next one is tried.
std::string resolve_checkpoint(const std::string& run_dir_or_file);

}  // namespace wgan
