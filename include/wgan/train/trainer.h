// The WGAN-GP training loop: the schedule around the step (train_step.h). It owns the run's
// networks, data, statistics and files; run() reads as the list of what happens when.
//   trainer.cpp         setup (networks, device, optimizers, resume, ranks) and one iteration
//   training_loop.cpp   run(): the schedule, stop signals, write failures
//   training_files.cpp  what the run writes: grids, checkpoints, quality lines, the log
#pragma once
#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>

#include "wgan/data/batcher.h"
#include "wgan/data/dataset.h"
#include "wgan/data/device_batches.h"
#include "wgan/data/prefetcher.h"
#include "wgan/dist/process_group.h"
#include "wgan/metrics/metric.h"
#include "wgan/augment/adaptive_augment.h"
#include "wgan/run/checkpoint.h"
#include "wgan/train/cuda_graph.h"
#include "wgan/train/stats_sinks.h"
#include "wgan/train/time_budget.h"
#include "wgan/run/train_config.h"
#include "wgan/train/train_step.h"
#include "wgan/train/training_stats.h"
#include "wgan/util/error.h"
#include "wgan/util/phase_timer.h"
#include "wgan/util/stop_request.h"

namespace wgan {

class ProgressBar;

// A loss or gradient became NaN/Inf. The message names the step and the term.
class TrainingDiverged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
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

  // One generator step with its critic steps, the EMA and the augmentation controller. Returns the
  // statistics read during it (steps = how many steps they cover); on a GPU they are read every
  // --check-every steps, so most calls return an empty window.
  StatsWindow train_step();

  // Writes checkpoints/ckpt-<step>.pt and prunes old ones; returns its path ("" on ranks other
  // than 0, which only take part in the agreement check).
  std::string save_checkpoint();
  // Writes samples/<step>.png from the fixed z; returns its path.
  std::string save_samples();
  // Runs config.metrics on the sampling generator and appends their line to metrics.jsonl.
  nlohmann::json evaluate_quality();

  // The progress bar's suffix: kimg and img/s as of now (the rate over the steps since the last
  // --log-every line), then the statistics of the last line read, with the step they come from.
  std::string progress_suffix() const;

  const TrainConfig& config() const { return config_; }
  const TrainingState& state() const { return state_; }
  GeneratorNet& generator() { return *networks_.generator; }
  CriticNet& critic() { return *networks_.critic; }
  // The network samples come from: the EMA when enabled, else the generator.
  GeneratorNet& sampling_generator() { return generator_ema_ ? *generator_ema_ : *networks_.generator; }
  torch::Device device() const { return device_; }
  // Per-phase wall time of train_step (off by default; the speed benchmark turns it on).
  PhaseTimer& phase_timer() { return timer_; }

 private:
  // ---- Setup and one iteration (trainer.cpp).
  void resume(const std::string& checkpoint_file);
  void place_on_device(torch::nn::Module& net) const;  // the device, and NHWC weights for --channels-last
  void join_group(std::shared_ptr<ProcessGroup> group);
  RealBatch next_real_batch();                            // from the prefetcher or the GPU copy
  RealBatch random_real_batch(const ImageDataset& data);  // this rank's share, drawn with replacement
  // --augment-p ada: measures the overfitting signal on one batch each of training, held-out and
  // generated images (the same on every rank) and moves p.
  void adapt_augment_p();
  void eager_iteration(bool check);
  void graph_iteration();  // one iteration through the CUDA graph (captured on first use)
  void update_ema();
  // --grow (training_growth.cpp): the phase of this iteration on every network, the data at its
  // side (made once per phase), the batch the prefetcher fetches from it, real images blended as
  // the generator's during a fade-in, and an image batch brought down to the phase's side.
  void follow_growth();
  // --minutes --grow without --grow-kimg: the phases' length (config.grow_kimg) such that the
  // growth takes kGrowthBudgetShare of the budget, from one step timed at every side on throwaway
  // networks (the run's weights and random numbers stay as they were).
  static constexpr double kGrowthBudgetShare = 0.5;
  void plan_growth_for_budget();
  const ImageDataset& phase_dataset() const;
  HostBatch host_batch(int64_t index);
  torch::Tensor fade_real(const torch::Tensor& images) const;
  torch::Tensor at_phase_side(const torch::Tensor& images) const;
  // Without an EMA the trained generator makes the grids: at the final size only while it does.
  void sample_at_final_size(bool on);
  double ema_beta() const;  // this step's EMA decay (ramped up early in the run)
  // Reads the statistics; a NaN or Inf stops the run (TrainingDiverged).
  void read_stats();
  // Throws TrainingDiverged: "training diverged WHEN: TERM is NaN|Inf DETAIL", then where the last
  // good checkpoint is and how to resume from it.
  [[noreturn]] void diverged(const std::string& when, const NonFiniteStat& stat, const std::string& detail) const;

  // ---- The schedule (training_loop.cpp).
  void start_run();  // the run directory: config.json, stale temporary files, the log up to this step
  void log_line();   // a metrics.jsonl line and the progress bar's detail
  bool quality_due(bool last) const;
  void evaluate_quality_and_say(const StopRequest* stop, ProgressBar* progress);
  // --minutes (time_budget.h): start the clock; after each step, plan the length once the first
  // steps are timed and end the run at this step when the time is spent; the line said at the end.
  void start_time_budget();
  void follow_time_budget(std::optional<ProgressBar>& progress, bool show_bar);
  void end_if_time_is_spent();
  // The run ends at `total_steps`: config (and config.json) become --steps total_steps, and the
  // cadences not given follow it.
  void plan_length(int64_t total_steps);
  void say_what_the_budget_reached() const;
  bool checkpoint_clock_due() const;  // --checkpoint-minutes since the last checkpoint
  // The stop a signal asked for: the checkpoint (unless this step has one), then, unless a person
  // insisted, the final grid and report.
  Outcome stop_on_request(const StopRequest& stop);
  // A file of the run could not be written: try the checkpoint first (unless that is what failed,
  // or other ranks are waiting in a collective), then stop with one UserError naming the file.
  [[noreturn]] void stop_on_write_failure(const UserError& failure, bool checkpoint_first);
  std::string checkpoint_or_stop();
  void write_or_stop(const std::function<void()>& write);
  // What a failed write says after its own reason: the step, the newest good checkpoint, how to resume.
  std::string resume_hint() const;

  // ---- What the run writes (training_files.cpp).
  void save_samples_and_report();  // samples/<step>.png, then report.html
  // At an interrupt, after the checkpoint: the final grid and the report, as at a normal end; a
  // failure there is a warning (the checkpoint is safe).
  void save_final_samples();
  // On resume: metrics.jsonl lines of steps after the checkpoint (a killed run's) are dropped.
  void drop_metrics_after_resume();
  double kimg() const;  // thousands of real images the critic has seen
  // Real images per second since the last --log-every line (the rate window's start).
  double window_rate(std::chrono::steady_clock::time_point now) const;

  TrainConfig config_;
  const ImageDataset& dataset_;
  bool quiet_;
  bool progress_bar_ = true;
  torch::Device device_;
  const Loss& loss_;
  int64_t check_every_ = 1;  // generator steps between reads of the statistics
  bool channels_last_ = false;
  PhaseTimer timer_;

  // The networks, the step that trains them, and what it reports.
  TrainingStats stats_;
  TrainedNetworks networks_;
  std::shared_ptr<GeneratorNet> generator_ema_;
  std::unique_ptr<TrainStep> step_;
  torch::Tensor fixed_z_;

  // The real images: shuffled epochs, prefetched, or the dataset on the GPU (--gpu-data) with its labels.
  EpochBatcher batcher_;
  BatchPrefetcher prefetcher_;
  std::unique_ptr<DeviceBatches> device_batches_;
  torch::Tensor device_labels_;

  // --grow: the phase now and the dataset at its side (empty at the data's own).
  GrowthPhase phase_;
  ImageDataset phase_data_;

  // --augment: the probability as a device tensor (what a captured graph reads); --augment-p ada:
  // the controller and the held-out images its signal is measured on.
  torch::Tensor augment_p_;
  std::unique_ptr<AdaptiveAugment> ada_;
  const ImageDataset* held_out_ = nullptr;

  // --cuda-graph: the captured iteration and the device tensors it reads its inputs from.
  std::unique_ptr<StepGraph> step_graph_;
  int64_t graph_warmup_left_ = 3;  // eager iterations first: cuDNN's algorithm search and the optimizer state
  torch::Tensor graph_indices_, graph_flips_, graph_ema_weight_;

  // Where the run is: its state, its last checkpoint, the ranks, the quality metrics.
  TrainingState state_;
  std::string last_checkpoint_;
  int64_t last_checkpoint_step_ = -1;  // the step of the checkpoint this process wrote last
  std::chrono::steady_clock::time_point last_checkpoint_time_ = std::chrono::steady_clock::now();
  int64_t unread_first_step_ = 0;      // the first step whose statistics are not read yet
  std::shared_ptr<ProcessGroup> group_;
  std::vector<std::unique_ptr<Metric>> metrics_;
  std::unique_ptr<TimeBudget> budget_;  // --minutes, until the run's end
  bool timing_grown_steps_ = false;     // --minutes --grow: the timed steps are at the final side
  double planning_seconds_ = 0;         // --minutes: spent before the loop (plan_growth_for_budget)
  StepOptions step_options_;            // what step_ was made with (plan_growth_for_budget's probe)

  // The log: the statistics since the last line, and what the progress bar shows between lines (the
  // last line's means and step, where the current rate window started).
  StatsWindow log_window_;
  StatsWindow shown_;
  int64_t shown_step_ = -1;
  std::chrono::steady_clock::time_point rate_window_start_;
  int64_t rate_window_batches_ = 0;
  double last_rate_ = 0;
};

}  // namespace wgan
