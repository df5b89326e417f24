// What a run writes: sample grids, checkpoints, quality lines and the report, and the log's
// bookkeeping on resume.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "wgan/generate/generate.h"
#include "wgan/io/image_grid.h"
#include "wgan/io/report_command.h"
#include "wgan/train/trainer.h"
#include "wgan/util/atomic_file.h"

namespace fs = std::filesystem;

namespace wgan {

std::string Trainer::save_samples() {
  const std::string dir = (fs::path(config_.run_dir) / "samples").string();
  ensure_writable_dir(dir);
  char name[32];
  std::snprintf(name, sizeof name, "%06lld.png", static_cast<long long>(state_.step));
  const std::string path = (fs::path(dir) / name).string();
  auto& net = sampling_generator();
  const bool was_training = net.is_training();
  net.eval();
  sample_at_final_size(true);  // --grow: a low phase's images upsampled to the final side
  torch::Tensor images;
  GridOptions grid;
  grid.nrow = config_.grid_nrow;
  if (config_.model.conditional()) {
    // One row per class, the same z in each column.
    const int64_t columns = std::min(config_.grid_nrow, fixed_z_.size(0)), classes = config_.model.classes();
    auto labels = torch::arange(classes, fixed_z_.options().dtype(torch::kInt64)).repeat_interleave(columns);
    const auto z = fixed_z_.narrow(0, 0, columns).repeat({classes, 1});
    images = run_generator(net, z, labels, device_, z.size(0));
    grid.nrow = columns;
  } else {
    images = run_generator(net, fixed_z_, {}, device_, fixed_z_.size(0));
  }
  net.train(was_training);
  sample_at_final_size(false);
  write_png(path, make_grid(images, grid));
  return path;
}

std::string Trainer::save_checkpoint() {
  std::vector<torch::nn::Module*> trained = {networks_.generator.get(), networks_.critic.get()};
  if (group_ && group_->world_size() > 1) {
    // Every rank must hold the same weights; a silent divergence would make the checkpoint a lie.
    double worst = 0;
    for (auto* net : trained) worst = std::max(worst, max_rank_difference(*group_, *net));
    if (worst != 0.0)
      throw std::runtime_error("rank " + std::to_string(group_->rank()) + ": the ranks' weights differ by up to " +
                               c10::str(worst) + " at step " + std::to_string(state_.step) +
                               "; refusing to checkpoint (was a rank started with other flags?)");
    if (!is_main()) {
      last_checkpoint_step_ = state_.step;
      last_checkpoint_time_ = std::chrono::steady_clock::now();
      return "";
    }
  }
  // A checkpoint is only written from finite weights: never replace a good one with a bad one.
  for (auto* net : trained)
    for (const auto& p : net->parameters())
      if (!torch::isfinite(p).all().item<bool>())
        throw TrainingDiverged("refusing to checkpoint non-finite weights at step " + std::to_string(state_.step));
  ensure_writable_dir((fs::path(config_.run_dir) / "checkpoints").string());
  const std::string path = checkpoint_path(config_.run_dir, state_.step);
  CheckpointParts parts;
  parts.config = &config_;
  parts.state = &state_;
  parts.generator = networks_.generator.get();
  parts.critic = networks_.critic.get();
  parts.generator_ema = generator_ema_.get();
  parts.generator_opt = networks_.generator_opt.get();
  parts.critic_opt = networks_.critic_opt.get();
  parts.fixed_z = fixed_z_;
  wgan::save_checkpoint(path, parts);
  last_checkpoint_ = path;
  last_checkpoint_step_ = state_.step;
  last_checkpoint_time_ = std::chrono::steady_clock::now();
  prune_checkpoints(config_.run_dir, config_.keep_checkpoints);
  return path;
}

nlohmann::json Trainer::evaluate_quality() {
  if (metrics_.empty()) {
    MetricContext context;
    context.data = config_.data;
    context.data_dir = config_.data_dir;
    context.classifier = config_.classifier;
    context.inception = config_.inception;
    context.device = device_;
    context.seed = config_.seed;
    context.train_images = &dataset_;
    metrics_ = make_metrics(config_.metrics, context);
  }
  const auto started = std::chrono::steady_clock::now();
  sample_at_final_size(true);
  auto figures = evaluate_metrics(metrics_, sampling_generator(), config_.model, config_.metrics_num, config_.seed,
                                  device_);
  sample_at_final_size(false);
  nlohmann::json line = {
      {"step", state_.step},
      {"kimg", kimg()},
      {"time_s", state_.train_seconds},
      {"metrics_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()},
  };
  line.update(figures);
  ensure_writable_dir(config_.run_dir);
  append_line((fs::path(config_.run_dir) / "metrics.jsonl").string(), line.dump());
  return line;
}

void Trainer::save_samples_and_report() {
  save_samples();
  write_report(config_.run_dir);  // the page shows what the run has written so far
}

void Trainer::save_final_samples() {
  if (!is_main()) return;
  try {
    save_samples_and_report();
  } catch (const std::exception& e) {
    // The checkpoint is already written; a grid that cannot be written loses nothing else.
    if (!quiet_) std::cerr << "warning: the final sample grid or report could not be written: " << e.what() << "\n";
  }
}

void Trainer::drop_metrics_after_resume() {
  // Lines a killed run logged after its last checkpoint are logged again by this run: keep one copy.
  const auto path = (fs::path(config_.run_dir) / "metrics.jsonl").string();
  if (state_.step == 0 || !fs::exists(path)) return;
  std::istringstream lines(read_file(path));
  std::string kept;
  bool dropped = false;
  for (std::string line; std::getline(lines, line);) {
    // A torn last line (killed mid-write) does not parse: it goes too.
    const auto parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    const bool later = parsed.is_object() && parsed.contains("step") && parsed["step"].is_number_integer() &&
                       parsed["step"].get<int64_t>() > state_.step;
    if (later || parsed.is_discarded()) {
      dropped = true;
      continue;
    }
    kept += line + "\n";
  }
  if (dropped) write_file_atomic(path, kept);
}

double Trainer::kimg() const { return static_cast<double>(state_.real_batches * config_.batch) / 1000.0; }

double Trainer::window_rate(std::chrono::steady_clock::time_point now) const {
  const double seconds = std::chrono::duration<double>(now - rate_window_start_).count();
  return seconds > 0 ? static_cast<double>((state_.real_batches - rate_window_batches_) * config_.batch) / seconds : 0;
}

}  // namespace wgan
