#include "wgan/commands/train_command.h"

#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "wgan/data/training_data.h"
#include "wgan/dist/process_group.h"
#include "wgan/dist/sync_batch_norm.h"
#include "wgan/losses/losses.h"
#include "wgan/run/checkpoint.h"
#include "wgan/models/precision.h"
#include "wgan/train/trainer.h"
#include "wgan/util/device.h"
#include "wgan/util/directory_lock.h"
#include "wgan/util/error.h"

namespace fs = std::filesystem;

namespace wgan {

namespace {

// The run directory a checkpoint belongs to: RUN/checkpoints/ckpt-N.pt -> RUN.
std::string run_dir_of(const std::string& resume_arg, const std::string& file, const std::string& saved_run_dir) {
  if (fs::is_directory(resume_arg)) return resume_arg;
  const fs::path parent = fs::path(file).parent_path();
  if (parent.filename() == "checkpoints") return parent.parent_path().string();
  return saved_run_dir;
}

bool holds_a_run(const std::string& run_dir) {
  return !list_checkpoints(run_dir).empty() || fs::exists(fs::path(run_dir) / "metrics.jsonl");
}

void clear_run(const std::string& run_dir) {
  std::error_code ec;
  for (const char* part : {"checkpoints", "samples"}) fs::remove_all(fs::path(run_dir) / part, ec);
  for (const char* part : {"metrics.jsonl", "config.json"}) fs::remove(fs::path(run_dir) / part, ec);
}

// "30 minutes", "0.5 minutes": a --minutes budget as the user typed it.
std::string minutes_text(double minutes) {
  std::ostringstream text;
  text << minutes << " minutes";
  return text.str();
}

void print_start_line(Trainer& trainer, const ImageDataset& dataset, const ProcessGroup* group, bool sync_bn) {
  const auto& c = trainer.config();
  std::cerr << "training " << c.loss << " on " << dataset.name << " (" << dataset.size() << " images, "
            << c.model.resolution << "x" << c.model.resolution << "x" << c.model.channels << ") for "
            << (c.minutes ? minutes_text(*c.minutes) : std::to_string(c.total_steps) + " generator steps")
            << " on " << trainer.device() << "; G " << count_parameters(trainer.generator())
            << " params, D " << count_parameters(trainer.critic()) << " params";
  if (c.model.conditional()) std::cerr << "; conditional on " << c.model.classes() << " classes";
  if (group)
    std::cerr << "; " << group->world_size() << " ranks (" << group->backend() << "), " << c.batch / group->world_size()
              << " images per rank per step" << (sync_bn ? ", BatchNorm synchronised" : "");
  std::cerr << "\n";
}

void print_done_line(const Trainer& trainer) {
  const auto& run_dir = trainer.config().run_dir;
  const auto checkpoints = list_checkpoints(run_dir);
  std::cerr << "done: " << trainer.state().step << " steps in " << static_cast<int64_t>(trainer.state().train_seconds)
            << " s. Results in " << run_dir << "/\n  samples:     " << (fs::path(run_dir) / "samples").string()
            << "/ (one grid per interval; the last is the final one)\n  checkpoint:  "
            << (checkpoints.empty() ? std::string("none") : checkpoints.front())
            << "\n  metrics:     " << (fs::path(run_dir) / "metrics.jsonl").string()
            << "\n  more images: wgan sample --checkpoint " << run_dir << " --num 64 --grid grid.png\n";
}

}  // namespace

ExitCode run_train(const TrainCommand& cmd, const StopRequest* stop) {
  // ---- Options: the defaults (or the checkpoint's config) plus what was given, checked once.
  DistOptions dist = dist_options_from_environment();  // WORLD_SIZE > 1: torchrun, Slurm or --nproc
  // One trainer per run directory: rank 0 holds its lock until it exits, so a second `train` on it
  // (new or --resume) is refused at once with the holder's PID. A resume of a run directory takes
  // it before reading the checkpoint the other trainer may be writing; the rest once the options
  // are checked. --dry-run writes nothing and takes none.
  std::optional<DirectoryLock> run_lock;
  auto lock_run_dir = [&](const std::string& run_dir) {
    if (dist.rank == 0 && !cmd.dry_run && !run_lock) run_lock.emplace(run_dir, "trained");
  };
  std::string checkpoint_file;
  TrainConfig config;
  if (cmd.resume.empty()) {
    config = new_run_config(cmd.given);
  } else {
    if (cmd.given.run_dir || fs::is_directory(cmd.resume)) lock_run_dir(cmd.given.run_dir ? *cmd.given.run_dir : cmd.resume);
    checkpoint_file = resolve_checkpoint(cmd.resume);
    config = resumed_config(CheckpointReader(checkpoint_file).config(), cmd.given);
    if (!cmd.given.run_dir) config.run_dir = run_dir_of(cmd.resume, checkpoint_file, config.run_dir);
  }
  dist.backend = cmd.dist_backend;
  dist.timeout_s = cmd.dist_timeout_s;
  if (dist.world_size > 1 && resolve_device(config.device).is_cuda())
    set_default_cuda_index(dist.local_rank % static_cast<int>(torch::cuda::device_count()));
  const torch::Device device = resolve_device(config.device);  // UserError naming --device
  if (cmd.resume.empty()) apply_cpu_defaults(config, cmd.given, device);
  check_options(config, device, dist.world_size, cmd.sync_bn);

  // ---- Processes: join the group; several workers on one machine share its cores.
  std::shared_ptr<ProcessGroup> group;
  if (dist.world_size > 1) {
    group = join_process_group(dist, device);
    if (cmd.sync_bn) set_sync_batch_norm_group(group);
  }
  const bool is_main = !group || group->is_main();
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(static_cast<int>(config.threads > 0 ? config.threads : std::max(1, cores / dist.world_size)));

  lock_run_dir(config.run_dir);  // before the data: rank 0 may prepare a FOLDER into the run directory

  // ---- Data: rank 0 loads first (it may prepare a FOLDER into the run directory), then the others.
  DataRequest request;
  request.data = config.data;
  request.data_dir = config.data_dir;
  request.cache_dir = (fs::path(config.run_dir) / "dataset").string();
  if (cmd.given.model.resolution) request.resolution = *cmd.given.model.resolution;
  if (cmd.given.model.channels) request.channels = *cmd.given.model.channels;
  request.max_images = config.max_images;
  request.quiet = cmd.quiet || !is_main;
  if (!is_main) any_rank(*group, false);
  ImageDataset held_out;  // --augment-p ada's overfitting signal is measured on these
  const ImageDataset dataset = load_training_data(request, config.augment_ada ? &held_out : nullptr);
  if (group && is_main) any_rank(*group, false);
  // Resolution and channels come from the data.
  config.model.resolution = dataset.resolution();
  config.model.channels = dataset.channels();
  take_classes_from_data(config, dataset);
  if (cmd.resume.empty()) apply_cpu_data_defaults(config, cmd.given, device);
  check_data_fits(config, dataset, cmd.given, device);
  if (cmd.resume.empty() || cmd.given.length_given()) resolve(config, dataset.size());
  // --minutes: the cadences not given follow the length it plans.
  config.budget_cadence = {!cmd.given.log_every, !cmd.given.sample_every, !cmd.given.checkpoint_every};

  // ---- --precision auto becomes what this device runs, so --dry-run and config.json show the choice.
  std::string precision_notice;
  config.precision = resolve_precision(config.precision, device, &precision_notice);
  if (!precision_notice.empty() && is_main) std::cerr << precision_notice << "\n";
  if (cmd.dry_run) {
    std::cout << to_json(config).dump(2) << std::endl;
    return ExitCode::kFinished;
  }

  // ---- Run directory: never train over another run unless told to.
  if (cmd.resume.empty() && holds_a_run(config.run_dir)) {
    if (!cmd.overwrite) {
      throw UserError(config.run_dir + " already holds a run: pass --resume " + config.run_dir +
                      " to continue it, --overwrite to start over, or another --name");
    }
    if (is_main) clear_run(config.run_dir);
  }
  if (is_main && config.model.critic_norm == CriticNorm::kBatch && make_loss(config.loss).gradient_penalty) {
    std::cerr << "warning: --critic-norm batch mixes samples inside a batch, so the gradient penalty is no longer "
                 "per sample (the WGAN-GP paper recommends layer); continuing as asked\n";
  }

  // ---- A stop before training began (while a large folder was prepared, say): nothing to save yet.
  // With several ranks the loop's agreement decides instead, so that no rank waits for one gone.
  if (!group && stop && stop->raised()) {
    std::cerr << "stopped before training began: nothing to save\n";
    return ExitCode::kInterrupted;
  }

  // ---- Build (and resume), then say what runs.
  TrainerSetup setup;
  setup.quiet = !is_main;  // --quiet drops the progress bars only; status lines stay on rank 0
  setup.resume_from = checkpoint_file;
  setup.group = group;
  if (config.augment_ada) setup.held_out = &held_out;
  Trainer trainer(config, dataset, setup);
  trainer.set_progress_bar(!cmd.quiet);
  if (is_main) {
    if (!checkpoint_file.empty())
      std::cerr << "resuming " << checkpoint_file << " at step " << trainer.state().step
                << (config.minutes ? " for " + minutes_text(*config.minutes) + " more"
                                   : " of " + std::to_string(config.total_steps))
                << "\n";
    else
      print_start_line(trainer, dataset, group.get(), cmd.sync_bn);
  }

  // ---- Train.
  Trainer::Outcome outcome;
  try {
    outcome = trainer.run(stop);
  } catch (const TrainingDiverged& e) {
    std::cerr << "\nerror: " << e.what() << "\n";
    return ExitCode::kDiverged;
  }
  if (outcome == Trainer::Outcome::kInterrupted) return ExitCode::kInterrupted;
  if (outcome == Trainer::Outcome::kInterruptedUnsaved) return ExitCode::kInterruptedUnsaved;
  if (is_main) print_done_line(trainer);
  return ExitCode::kFinished;
}

}  // namespace wgan
