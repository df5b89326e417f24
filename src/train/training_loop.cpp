// The schedule: what happens when, read top-down in Trainer::run. The step itself is
// train_step.cpp; the files the run writes are training_files.cpp.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "wgan/train/trainer.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/progress.h"

namespace fs = std::filesystem;

namespace wgan {

namespace {
double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
}  // namespace

Trainer::Outcome Trainer::run(const StopRequest* stop) {
  start_run();
  const bool planned = config_.total_steps > 0;  // else --minutes plans the length after a few steps
  if (planned && state_.step >= config_.total_steps) return Outcome::kFinished;
  if (!planned) start_time_budget();
  const bool show_bar = !quiet_ && progress_bar_;
  std::optional<ProgressBar> progress;
  if (planned && show_bar) progress.emplace("train", config_.total_steps, state_.step);
  rate_window_start_ = last_checkpoint_time_ = std::chrono::steady_clock::now();
  rate_window_batches_ = state_.real_batches;
  log_window_ = StatsWindow();

  while (config_.total_steps == 0 || state_.step < config_.total_steps) {
    // ---- A stop signal: checkpoint, grid and report, then return. Or a checkpoint by the clock.
    // The ranks agree on both in one collective, so they stop and save at the same step.
    std::vector<bool> due = {stop && stop->raised(), checkpoint_clock_due()};
    if (group_) due = any_rank(*group_, due);
    if (due[0]) {
      if (progress) progress->finish();
      static const StopRequest another_rank_asked;  // this rank had no request of its own
      return stop_on_request(stop ? *stop : another_rank_asked);
    }
    if (due[1]) checkpoint_or_stop();

    // ---- One generator step with its critic steps.
    const auto step_start = std::chrono::steady_clock::now();
    log_window_.add(train_step());
    state_.train_seconds += seconds_since(step_start);
    // ---- --minutes: the length, once the first steps are timed; the end, if the time is spent.
    if (budget_) follow_time_budget(progress, show_bar);
    const bool last = state_.step == config_.total_steps;

    // ---- A metrics line every --log-every steps.
    if (state_.step % config_.log_every == 0 || last) log_line();
    // ---- Quality metrics every --metrics-every kimg (abandoned for a stop signal: they take minutes).
    if (quality_due(last)) evaluate_quality_and_say(stop, progress ? &*progress : nullptr);
    // ---- Grid and report, then the checkpoint, at their intervals and at the end.
    if ((state_.step % config_.sample_every == 0 || last) && is_main()) write_or_stop([&] { save_samples_and_report(); });
    if (state_.step % config_.checkpoint_every == 0 || last) checkpoint_or_stop();
    if (progress) progress->update(state_.step, progress_suffix(), last);
  }
  if (progress) progress->finish();
  if (budget_ && is_main() && !quiet_) say_what_the_budget_reached();
  return Outcome::kFinished;
}

void Trainer::start_time_budget() {
  budget_ = std::make_unique<TimeBudget>(*config_.minutes, state_.step, planning_seconds_);
  if (is_main() && !quiet_)
    std::cerr << "--minutes " << *config_.minutes << ": timing the first "
              << TimeBudget::kWarmupSteps + TimeBudget::kTimedSteps << " steps"
              << (config_.model.grow_from > 0 ? " at the final side (--grow)" : "") << " to plan the run's length\n";
}

void Trainer::follow_time_budget(std::optional<ProgressBar>& progress, bool show_bar) {
  // --grow: a lower side's speed says little of the final one's, so the steps timed are the first
  // ones at the final side, faded in.
  const bool grown = phase_.resolution == config_.model.resolution && !phase_.fading();
  if (config_.model.grow_from > 0) {
    if (!grown) return end_if_time_is_spent();
    if (!timing_grown_steps_) budget_->time_from(state_.step);
    timing_grown_steps_ = true;
  }
  budget_->step_done(state_.step);
  if (budget_->ready_to_plan(state_.step)) {
    plan_length(budget_->plan(state_.step));
    if (is_main() && !quiet_) {
      std::fprintf(stderr, "--minutes %g: %.2f s per step, so %lld steps (%.1f kimg) fill the budget\n",
                   budget_->budget_seconds() / 60.0, budget_->seconds_per_step(),
                   static_cast<long long>(config_.total_steps),
                   static_cast<double>(config_.total_steps * config_.batch * *config_.n_critic) / 1000.0);
    }
    if (show_bar) progress.emplace("train", config_.total_steps, state_.step);
  }
  end_if_time_is_spent();
}

void Trainer::end_if_time_is_spent() {
  // Slower than planned (a busy machine), or still growing: end at this step, with the files of a
  // normal end.
  if (budget_->spent() && (config_.total_steps == 0 || state_.step < config_.total_steps)) plan_length(state_.step);
}

void Trainer::plan_length(int64_t total_steps) {
  config_.total_steps = total_steps;
  config_.steps = total_steps;  // what the checkpoints and config.json hold: resume and repeat are exact
  config_.minutes.reset();
  auto follow = [total_steps](bool scaled, int64_t& every, double share, int64_t at_most) {
    if (scaled) every = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(share * total_steps)), 1, at_most);
  };
  follow(config_.budget_cadence.log_every, config_.log_every, 0.01, 50);
  follow(config_.budget_cadence.sample_every, config_.sample_every, 0.1, total_steps);
  follow(config_.budget_cadence.checkpoint_every, config_.checkpoint_every, 0.25, total_steps);
  if (!is_main()) return;
  write_or_stop([&] {
    write_file_atomic((fs::path(config_.run_dir) / "config.json").string(), to_json(config_).dump(2) + "\n");
  });
}

void Trainer::say_what_the_budget_reached() const {
  std::fprintf(stderr,
               "--minutes %g: reached step %lld (%.1f kimg) in %.1f minutes. The run is --steps %lld now: "
               "--resume %s --steps M extends it, --steps %lld repeats it\n",
               budget_->budget_seconds() / 60.0, static_cast<long long>(state_.step), kimg(),
               budget_->elapsed_seconds() / 60.0, static_cast<long long>(state_.step), config_.run_dir.c_str(),
               static_cast<long long>(state_.step));
}

void Trainer::start_run() {
  if (!is_main()) return;
  try {
    ensure_writable_dir(config_.run_dir);
    remove_stale_temp_files_and_say(config_.run_dir, quiet_);
    write_file_atomic((fs::path(config_.run_dir) / "config.json").string(), to_json(config_).dump(2) + "\n");
    drop_metrics_after_resume();
  } catch (const UserError& e) {
    stop_on_write_failure(e, /*checkpoint_first=*/false);
  }
}

void Trainer::log_line() {
  const auto now = std::chrono::steady_clock::now();
  last_rate_ = window_rate(now);
  if (group_) reduce_over_ranks(log_window_, *group_, device_);  // every rank logs at the same steps
  if (is_main()) {
    LogLine line;
    line.step = state_.step;
    line.kimg = kimg();
    line.time_s = state_.train_seconds;
    line.images_per_s = last_rate_;
    line.window = log_window_;
    if (step_->augments()) line.extras["augment_p"] = state_.augment_p;
    if (ada_) line.extras["ada_signal"] = ada_->signal();
    if (config_.model.grow_from > 0) {  // --grow: the report's curves show the phases
      line.extras["resolution"] = static_cast<double>(phase_.resolution);
      line.extras["fade_in"] = phase_.alpha;
    }
    write_or_stop([&] { append_metrics_line(config_.run_dir, line); });
  }
  if (!log_window_.empty()) {
    shown_ = log_window_;
    shown_step_ = state_.step;
  }
  log_window_ = StatsWindow();
  rate_window_start_ = now;
  rate_window_batches_ = state_.real_batches;
}

std::string Trainer::progress_suffix() const {
  // Right after a log line the window is empty: show that line's rate until a step lands.
  const double rate =
      state_.real_batches > rate_window_batches_ ? window_rate(std::chrono::steady_clock::now()) : last_rate_;
  char text[96];
  std::snprintf(text, sizeof text, "kimg %.1f | %.0f img/s", kimg(), rate);
  std::string suffix = text;
  if (step_->augments()) {
    std::snprintf(text, sizeof text, " | augment p %.3f", state_.augment_p);
    suffix += text;
  }
  if (shown_step_ >= 0)
    suffix += " | at step " + std::to_string(shown_step_) + ": " + progress_detail(shown_, stats_.progress_labels());
  return suffix;
}

bool Trainer::quality_due(bool last) const {
  if (config_.metrics.empty() || !is_main()) return false;
  // In whole images, so that a boundary is crossed exactly once whatever the rounding of kimg.
  const int64_t images = state_.real_batches * config_.batch;
  const int64_t previous = images - config_.batch * *config_.n_critic;
  const auto every = static_cast<int64_t>(std::llround(config_.metrics_every_kimg * 1000.0));
  return last || (every > 0 && images / every > previous / every);
}

void Trainer::evaluate_quality_and_say(const StopRequest* stop, ProgressBar* progress) {
  std::optional<nlohmann::json> line;
  write_or_stop([&] {
    AbandonOnStop scope(stop);
    try {
      line = evaluate_quality();
    } catch (const WorkAbandoned&) {
      if (!quiet_) std::cerr << "\nthe quality evaluation at step " << state_.step << " was abandoned for the stop\n";
    }
  });
  if (!line || quiet_) return;
  if (progress) progress->finish();
  std::cerr << "quality at kimg " << (*line)["kimg"].get<double>() << ": " << line->dump() << "\n";
}

bool Trainer::checkpoint_clock_due() const {
  if (config_.checkpoint_minutes <= 0) return false;
  return seconds_since(last_checkpoint_time_) >= config_.checkpoint_minutes * 60.0;
}

Trainer::Outcome Trainer::stop_on_request(const StopRequest& stop) {
  std::string path = last_checkpoint_, cost;
  if (last_checkpoint_step_ != state_.step) {
    const auto started = std::chrono::steady_clock::now();
    try {
      path = save_checkpoint();
    } catch (const UserError& e) {
      if (!quiet_) std::cerr << "\nerror: " << e.what() << resume_hint() << "\n";
      return Outcome::kInterruptedUnsaved;
    }
    // What a checkpoint costs, for choosing --checkpoint-minutes.
    std::error_code ec;
    char text[80];
    std::snprintf(text, sizeof text, " (%.1f MB in %.2f s)", static_cast<double>(fs::file_size(path, ec)) / 1e6,
                  seconds_since(started));
    if (!path.empty()) cost = text;
  }
  if (stop.level() < StopRequest::kStopNow) {
    save_final_samples();
  } else if (!quiet_) {
    std::cerr << "the final grid and report were skipped (second Ctrl-C); wgan report " << config_.run_dir
              << " rebuilds the report\n";
  }
  if (!quiet_) std::cerr << "interrupted at step " << state_.step << ": checkpoint written to " << path << cost << "\n";
  return Outcome::kInterrupted;
}

std::string Trainer::checkpoint_or_stop() {
  try {
    return save_checkpoint();
  } catch (const UserError& e) {
    stop_on_write_failure(e, /*checkpoint_first=*/false);
  }
}

void Trainer::write_or_stop(const std::function<void()>& write) {
  try {
    write();
  } catch (const UserError& e) {
    stop_on_write_failure(e, /*checkpoint_first=*/true);
  }
}

std::string Trainer::resume_hint() const {
  std::string hint = "; training stopped at step " + std::to_string(state_.step) + ". ";
  hint += last_checkpoint_.empty() ? "No checkpoint was written yet"
                                   : "The newest good checkpoint is " + last_checkpoint_ +
                                         "; once the cause is fixed (free space, permissions), continue with: wgan train --resume " + config_.run_dir;
  return hint;
}

void Trainer::stop_on_write_failure(const UserError& failure, bool checkpoint_first) {
  if (!quiet_ && progress_bar_) std::cerr << "\n";  // off the progress bar's line
  if (checkpoint_first && !(group_ && group_->world_size() > 1)) {
    // The weights matter more than a picture or a log line: keep them if the disk lets us.
    try {
      save_checkpoint();
    } catch (const std::exception& e) {
      if (!quiet_) std::cerr << "\nwarning: the checkpoint could not be written either: " << e.what() << "\n";
    }
  }
  throw UserError(failure.what() + resume_hint());
}

}  // namespace wgan
