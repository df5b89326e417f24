// The WGAN-GP training loop: n critic steps then one generator step, an EMA of the generator,
// fixed-z sample grids, JSON-lines metrics, checkpoints, and a NaN guard. The loss is a row of
// loss_table(); the loop does not know which one it runs.
#pragma once
#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>

#include "wgan/data/batcher.h"
#include "wgan/data/device_batches.h"
#include "wgan/data/dataset.h"
#include "wgan/data/prefetcher.h"
#include "wgan/dist/process_group.h"
#include "wgan/losses/losses.h"
#include "wgan/metrics/metric.h"
#include "wgan/models/networks.h"
#include "wgan/train/adaptive_augment.h"
#include "wgan/train/augment.h"
#include "wgan/train/checkpoint.h"
#include "wgan/train/cuda_graph.h"
#include "wgan/train/train_config.h"
#include "wgan/util/error.h"
#include "wgan/util/phase_timer.h"
#include "wgan/util/stop_request.h"

namespace wgan {

// A loss or gradient became NaN/Inf. The message names the step and the term.
class TrainingDiverged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Averages of one or more generator steps.
struct StepStats {
  double critic_loss = 0;   // critic objective, penalty included
  double wasserstein = 0;   // mean D(real) - mean D(fake)
  double penalty = 0;       // lambda-weighted gradient penalty
  double generator_loss = 0;
  int64_t count = 0;
  void add(const StepStats& other);
  StepStats mean() const;
};

// How a Trainer starts, besides its config: quiet or not, from a checkpoint or not, alone or as
// one rank of several.
struct TrainerSetup {
  bool quiet = false;                   // no console output (warnings, the progress bar, status lines)
  std::string resume_from;              // a checkpoint of a run with the same networks and loss ("" = new run)
  // Data-parallel training: rank 0's weights are broadcast, each rank trains on its shard of every
  // batch (--batch is the total over ranks), gradients are averaged, and only rank 0 writes files.
  // Before each checkpoint the ranks check that they agree.
  std::shared_ptr<ProcessGroup> group;
  // --augment-p ada: real images the critic never trains on (load_training_data's held_out); must
  // outlive the trainer.
  const ImageDataset* held_out = nullptr;
};

class Trainer {
 public:
  // `config` must have passed check_options and check_data_fits and be resolved; the dataset must
  // outlive the trainer. set_progress_bar(false) drops only the bar.
  Trainer(TrainConfig config, const ImageDataset& dataset, TrainerSetup setup);
  Trainer(TrainConfig config, const ImageDataset& dataset, bool quiet = false);
  void set_progress_bar(bool on) { progress_bar_ = on; }
  bool is_main() const { return !group_ || group_->is_main(); }

  // kInterrupted: stopped on request after its checkpoint; kInterruptedUnsaved: the checkpoint of
  // the stop could not be written (the error is printed with the newest good one).
  enum class Outcome { kFinished, kInterrupted, kInterruptedUnsaved };
  // Trains until config.total_steps, or until `stop` is raised: then it writes a checkpoint after
  // the step in progress (a quality evaluation in progress is abandoned), and at level kStop also
  // the final grid and the report.
  Outcome run(const StopRequest* stop = nullptr);

  // One generator step with its critic steps. Returns the losses of the steps read since the
  // last read (count = how many); on a GPU they are read every --check-every steps, so most
  // calls return count 0.
  StepStats train_step();

  // Writes checkpoints/ckpt-<step>.pt and prunes old ones; returns its path ("" on ranks other
  // than 0, which only take part in the agreement check).
  std::string save_checkpoint();
  // Writes samples/<step>.png from the fixed z; returns its path.
  std::string save_samples();
  // Runs config.metrics on the sampling generator and appends their line to metrics.jsonl.
  nlohmann::json evaluate_quality();

  // The progress bar's suffix: kimg and img/s as of now (the rate over the steps since the last
  // --log-every line), then the losses of the last line read, with the step they come from.
  std::string progress_suffix() const;

  const TrainConfig& config() const { return config_; }
  const TrainingState& state() const { return state_; }
  GeneratorNet& generator() { return *generator_; }
  CriticNet& critic() { return *critic_; }
  // The network samples come from: the EMA when enabled, else the generator.
  GeneratorNet& sampling_generator() { return generator_ema_ ? *generator_ema_ : *generator_; }
  torch::Device device() const { return device_; }
  // Per-phase wall time of train_step (off by default; the speed benchmark turns it on).
  PhaseTimer& phase_timer() { return timer_; }

 private:
  void resume(const std::string& checkpoint_file);
  void join_group(std::shared_ptr<ProcessGroup> group);
  void update_ema();
  // A real batch on the device: images in [-1, 1] and, for a conditional model, their classes.
  struct RealBatch {
    torch::Tensor images, labels;
  };
  RealBatch next_real_batch();
  torch::Tensor see(const torch::Tensor& images);    // what the critic is shown of images (--augment)
  // --augment-p ada: measures the overfitting signal on one batch each of training, held-out and
  // generated images (the same on every rank) and moves p.
  void adapt_augment_p();
  RealBatch random_real_batch(const ImageDataset& data);  // this rank's share, drawn with replacement
  // Generator / critic forward, under autocast for bf16; labels undefined for an unconditional model.
  torch::Tensor generate(const torch::Tensor& z, const torch::Tensor& labels);
  torch::Tensor score(const torch::Tensor& images, const torch::Tensor& labels);
  CriticOutput score_and_classify(const torch::Tensor& images, const torch::Tensor& labels);
  // --cond: this rank's share of classes drawn for the whole batch at the data's class frequencies
  // (on the device, so a captured graph redraws them); undefined for an unconditional model.
  torch::Tensor random_labels();
  void read_pending(StepStats& stats);
  // One critic step on `real` / the generator step. eager: read and check the losses now (a host
  // sync); otherwise add them to pending_ (what a captured graph does). The generated images of a
  // critic step take the real batch's classes.
  void critic_update(const RealBatch& real, bool eager, StepStats& stats);
  void generator_update(bool eager, StepStats& stats);
  double ema_beta() const;  // this step's EMA decay (ramped up early in the run)
  void graph_step();        // one iteration through the CUDA graph (captured on first use)
  torch::Tensor my_share(const torch::Tensor& whole) const;
  void check_finite(double value, const char* term) const;
  // Throws TrainingDiverged: "training diverged WHEN: TERM is NaN|Inf DETAIL", then where the last
  // good checkpoint is and how to resume from it.
  [[noreturn]] void diverged(const std::string& when, const char* term, double value, const std::string& detail) const;
  void write_metrics(const StepStats& stats, double images_per_second);
  double kimg() const;  // thousands of real images the critic has seen
  // Real images per second since the last --log-every line (the rate window's start).
  double window_rate(std::chrono::steady_clock::time_point now) const;
  void save_samples_and_report();  // samples/<step>.png, then report.html
  // At an interrupt, after the checkpoint: the final grid and the report, as at a normal end; a
  // failure there is a warning (the checkpoint is safe).
  void save_final_samples();
  // What a failed write says after its own reason: the step, the newest good checkpoint, how to resume.
  std::string resume_hint() const;
  // A file of the run could not be written: try the checkpoint first (unless that is what failed,
  // or other ranks are waiting in a collective), then stop with one UserError naming the file.
  [[noreturn]] void stop_on_write_failure(const UserError& failure, bool checkpoint_first);
  // On resume: metrics.jsonl lines of steps after the checkpoint (a killed run's) are dropped.
  void drop_metrics_after_resume();
  // The stop a signal asked for: the checkpoint (unless this step has one), then, unless a person
  // insisted, the final grid and report.
  Outcome stop_on_request(const StopRequest& stop);
  // --checkpoint-minutes have passed since the last checkpoint (or the start of run()).
  bool checkpoint_clock_due() const;
  // The quality line, or none when a stop request abandoned the evaluation.
  std::optional<nlohmann::json> evaluate_quality_unless_stopped(const StopRequest* stop);

  TrainConfig config_;
  const ImageDataset& dataset_;
  bool quiet_;
  bool progress_bar_ = true;
  // What the progress bar shows between log lines: the losses of the last line and the step they
  // are from, and where the current rate window started.
  StepStats shown_losses_;
  int64_t shown_losses_step_ = -1;
  std::chrono::steady_clock::time_point rate_window_start_;
  int64_t rate_window_batches_ = 0;
  double last_rate_ = 0;
  torch::Device device_;
  const Loss& loss_;
  LossOptions loss_options_;
  EpochBatcher batcher_;
  BatchPrefetcher prefetcher_;
  std::shared_ptr<GeneratorNet> generator_;
  std::shared_ptr<GeneratorNet> generator_ema_;
  std::shared_ptr<CriticNet> critic_;
  std::unique_ptr<torch::optim::Optimizer> generator_opt_;
  std::unique_ptr<torch::optim::Optimizer> critic_opt_;
  torch::Tensor fixed_z_;
  // --cond: the cumulative class frequencies labels are drawn from, and the dataset's labels on the
  // device when its images are there (--gpu-data).
  torch::Tensor class_cdf_, device_labels_;
  double class_loss_weight_ = 0;  // --class-loss when the critic has a class head, else 0
  TrainingState state_;
  std::string last_checkpoint_;
  int64_t last_checkpoint_step_ = -1;  // the step of the checkpoint this process wrote last
  std::chrono::steady_clock::time_point last_checkpoint_time_ = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<Metric>> metrics_;
  std::shared_ptr<ProcessGroup> group_;
  int64_t local_batch_;  // this rank's share of config.batch
  PhaseTimer timer_;
  bool bf16_ = false;
  bool channels_last_ = false;
  std::unique_ptr<DeviceBatches> device_batches_;  // the dataset on the GPU (--gpu-data)
  // Deferred reads: the losses and the finite checks of steps not yet read, summed on the device
  // in these slots. A gradient slot holds 0 * |grad|^2: zero unless the gradient was not finite.
  // The critic's four slots and the generator's two are each written as one stacked row.
  enum PendingSlot : int64_t {
    kCriticLoss, kPenalty, kWasserstein, kCriticGradientCheck,  // the critic's row
    kGeneratorLoss, kGeneratorGradientCheck,                      // the generator's row
    kPendingSlots
  };
  int64_t check_every_ = 1;
  torch::Tensor pending_;
  int64_t pending_steps_ = 0;
  int64_t pending_first_step_ = 0;
  // --augment: the transforms and their probability, as a device tensor (what a captured graph reads).
  std::vector<AugmentKind> augment_kinds_;
  torch::Tensor augment_p_;  // = state_.augment_p, on the device
  // --augment-p ada: the controller and the held-out images its signal is measured on.
  std::unique_ptr<AdaptiveAugment> ada_;
  const ImageDataset* held_out_ = nullptr;
  // --cuda-graph: the captured iteration and the device tensors it reads its inputs from.
  std::unique_ptr<StepGraph> step_graph_;
  int64_t graph_warmup_left_ = 3;  // eager iterations first: cuDNN's algorithm search and the optimizer state
  torch::Tensor graph_indices_, graph_flips_, graph_ema_weight_;
};

// cpu, cuda or auto -> a device; UserError when cuda is asked for and absent.
torch::Device resolve_device(const std::string& name);
// Which GPU "cuda" means in this process (a distributed worker uses its LOCAL_RANK's).
void set_default_cuda_index(int index);

}  // namespace wgan
