// One generator step with its critic steps, and nothing else: given the networks, the loss, the
// optimizers and real batches, it runs --n-critic critic updates (the loss, its penalty and lazy
// penalty, the class term, bf16 autocast) and one generator update, and reports what it computed
// to the statistics stream. No files, no progress, no schedule: the loop (trainer.h) decides
// when; a CUDA graph captures exactly run() (and the EMA that follows it).
#pragma once
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

#include "wgan/dist/process_group.h"
#include "wgan/losses/losses.h"
#include "wgan/models/networks.h"
#include "wgan/augment/augment.h"
#include "wgan/train/training_stats.h"
#include "wgan/util/phase_timer.h"

namespace wgan {

// A real batch on the device: images in [-1, 1] and, for a conditional model, their classes.
struct RealBatch {
  torch::Tensor images, labels;
};

// The networks a run trains and their optimizers (the EMA copy is the loop's: it averages after).
struct TrainedNetworks {
  std::shared_ptr<GeneratorNet> generator;
  std::shared_ptr<CriticNet> critic;
  std::unique_ptr<torch::optim::Optimizer> generator_opt, critic_opt;
};

struct StepOptions {
  int64_t n_critic = 5;
  int64_t batch = 64;  // the whole batch over all ranks; each rank trains on its share
  int64_t latent_dim = 128;
  double gp_lambda = 10.0;
  double drift = 0.0;             // weight of the mean squared real score in the critic's loss
  int64_t gp_every = 1;           // lazy penalty: every k-th critic step carries k times the penalty
  double clip = 0.01;             // --loss wgan's weight clipping bound
  bool joint_pass = false;        // real and fake scored in one call (per-sample critics only)
  double class_loss_weight = 0;   // --class-loss when the critic has a class head, else 0
  bool bf16 = false;              // forward passes under bf16 autocast
  torch::Device device = torch::kCPU;
};

// A statistic became NaN or Inf during a checked step; the loop turns it into TrainingDiverged.
class NonFiniteStatError : public std::runtime_error {
 public:
  explicit NonFiniteStatError(NonFiniteStat stat)
      : std::runtime_error(stat.name + " is not finite"), stat(std::move(stat)) {}
  NonFiniteStat stat;
};

class TrainStep {
 public:
  TrainStep(StepOptions options, const Loss& loss, TrainedNetworks& networks, TrainingStats& stats);

  // Data-parallel: every random draw is made for the whole batch and this rank takes its rows, so
  // N ranks see exactly the noise one process with the whole batch would; gradients are averaged.
  void set_group(std::shared_ptr<ProcessGroup> group);
  // --augment: the transforms real and generated images go through, and their probability (a device
  // tensor, so that a captured graph reads its current value).
  void set_augment(std::vector<AugmentKind> kinds, torch::Tensor p);
  // --cond: generated classes are drawn at these cumulative shares (float32, on the device).
  void set_class_cdf(torch::Tensor cdf);
  void set_timer(PhaseTimer* timer) { timer_ = timer; }
  bool augments() const { return !augment_kinds_.empty(); }

  // The step: critic update i trains on real_batch(i) for i < n_critic, then the generator update.
  // `first_real_batch` is the run's count of real batches so far (the lazy penalty's clock).
  // check: read the statistics before each optimizer step and throw NonFiniteStatError on a NaN or
  // Inf (free on the CPU); otherwise they stay on the device until the loop reads them.
  void run(const std::function<RealBatch(int64_t)>& real_batch, int64_t first_real_batch, bool check);

  // Forward passes as the step makes them: under autocast for bf16, returned as float32. Labels are
  // undefined for an unconditional model.
  torch::Tensor generate(const torch::Tensor& z, const torch::Tensor& labels);
  torch::Tensor score(const torch::Tensor& images, const torch::Tensor& labels);
  CriticOutput score_and_classify(const torch::Tensor& images, const torch::Tensor& labels);
  // What the critic is shown of images (--augment).
  torch::Tensor see(const torch::Tensor& images);
  // This rank's share of z ~ N(0, I) and of classes drawn for the whole batch (labels undefined for
  // an unconditional model; drawn on the device, so a captured graph redraws them).
  torch::Tensor random_z();
  torch::Tensor random_labels();
  // This rank's rows of a draw made for the whole batch.
  torch::Tensor my_share(const torch::Tensor& whole) const;

 private:
  void critic_update(const RealBatch& real, bool penalty_step, bool check);
  void generator_update(bool check);
  void check_now();

  StepOptions options_;
  const Loss& loss_;
  LossOptions loss_options_;
  TrainedNetworks& networks_;
  TrainingStats& stats_;
  std::shared_ptr<ProcessGroup> group_;
  int64_t local_batch_;
  std::vector<AugmentKind> augment_kinds_;
  torch::Tensor augment_p_, class_cdf_;
  PhaseTimer* timer_ = nullptr;
  PhaseTimer unused_timer_;
};

}  // namespace wgan
