#include "wgan/train/train_command.h"

#include <filesystem>
#include <iostream>
#include <thread>

#include "wgan/data/training_data.h"
#include "wgan/dist/process_group.h"
#include "wgan/dist/sync_batch_norm.h"
#include "wgan/train/checkpoint.h"
#include "wgan/train/precision.h"
#include "wgan/train/trainer.h"
#include "wgan/util/error.h"

namespace fs = std::filesystem;

namespace wgan {

const std::set<std::string>& resumable_flags() {
  static const std::set<std::string> flags = {
      "--kimg", "--steps", "--epochs", "--threads", "--device", "--data-dir", "--log-every", "--sample-every",
      "--checkpoint-every", "--keep-checkpoints", "--name", "--run-dir", "--quiet", "--resume", "--dry-run",
      "--dist-backend", "--dist-timeout", "--sync-bn", "--metrics", "--metrics-every", "--metrics-num",
      "--classifier", "--inception", "--precision", "--channels-last", "--gpu-data", "--check-every", "--cuda-graph"};
  return flags;
}

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

// Merges the length / runtime flags given on the command line into the checkpoint's config.
TrainConfig resumed_config(const TrainCommand& cmd, const TrainConfig& saved) {
  for (const auto& flag : cmd.given_flags) {
    if (!resumable_flags().count(flag)) {
      throw UserError(flag + " cannot be changed when resuming: the checkpoint fixes it (resumable: --kimg, "
                      "--steps, --epochs, --threads, --device, --precision, --channels-last, --gpu-data, --check-every, --cuda-graph, --data-dir, "
                      "intervals, --run-dir)");
    }
  }
  TrainConfig c = saved;
  const TrainConfig& given = cmd.config;
  auto was_given = [&](const char* flag) { return cmd.given_flags.count(flag) > 0; };
  if (was_given("--kimg") || was_given("--steps") || was_given("--epochs")) {
    c.kimg = given.kimg;
    c.steps = given.steps;
    c.epochs = given.epochs;
  }
  if (was_given("--threads")) c.threads = given.threads;
  if (was_given("--device")) c.device = given.device;
  if (was_given("--precision")) c.precision = given.precision;
  if (was_given("--channels-last")) c.channels_last = given.channels_last;
  if (was_given("--gpu-data")) c.gpu_data = given.gpu_data;
  if (was_given("--check-every")) c.check_every = given.check_every;
  if (was_given("--cuda-graph")) c.cuda_graph = given.cuda_graph;
  if (was_given("--data-dir")) c.data_dir = given.data_dir;
  if (was_given("--log-every")) c.log_every = given.log_every;
  if (was_given("--sample-every")) c.sample_every = given.sample_every;
  if (was_given("--checkpoint-every")) c.checkpoint_every = given.checkpoint_every;
  if (was_given("--keep-checkpoints")) c.keep_checkpoints = given.keep_checkpoints;
  if (was_given("--metrics")) c.metrics = given.metrics;
  if (was_given("--metrics-every")) c.metrics_every_kimg = given.metrics_every_kimg;
  if (was_given("--metrics-num")) c.metrics_num = given.metrics_num;
  if (was_given("--classifier")) c.classifier = given.classifier;
  if (was_given("--inception")) c.inception = given.inception;
  return c;
}

// On the CPU a new run's unset width and learning rate default to the quality-per-minute choice
// measured in docs/performance-cpu.md (width 32, lr 2e-4: Fashion-MNIST garments of every class
// in ten minutes on 2 cores); GPUs keep width 64 and the paper's 1e-4. The blog post's fixed
// networks (--arch seed) keep theirs.
void apply_cpu_defaults(TrainConfig& config, const std::set<std::string>& given) {
  if (config.model.arch == "seed" || !resolve_device(config.device).is_cpu()) return;
  if (!given.count("--width")) config.model.width = kCpuDefaultWidth;
  if (!given.count("--lr") && config.loss == "wgan-gp") config.lr = kCpuDefaultLearningRate;
}

}  // namespace

TrainExit run_train(TrainCommand cmd, const std::atomic<bool>* stop) {
  std::string checkpoint_file;
  TrainConfig config = cmd.config;
  if (!cmd.resume.empty()) {
    checkpoint_file = resolve_checkpoint(cmd.resume);
    CheckpointReader reader(checkpoint_file);
    config = resumed_config(cmd, reader.config());
    const bool run_dir_given = cmd.given_flags.count("--name") || cmd.given_flags.count("--run-dir");
    config.run_dir = run_dir_given ? cmd.config.run_dir : run_dir_of(cmd.resume, checkpoint_file, config.run_dir);
  }
  if (cmd.resume.empty()) apply_cpu_defaults(config, cmd.given_flags);
  validate(config, /*image_shape_known=*/false);  // resolution and channels come from the data, below

  // Distributed when launched by torchrun, Slurm or --nproc (WORLD_SIZE > 1 in the environment).
  DistOptions dist = dist_options_from_environment();
  dist.backend = cmd.dist_backend;
  dist.timeout_s = cmd.dist_timeout_s;
  std::shared_ptr<ProcessGroup> group;
  if (cmd.sync_bn && config.model.arch == "seed") throw UserError("--sync-bn works with --arch dcgan only");
  if (dist.world_size > 1) {
    if (resolve_device(config.device).is_cuda())
      set_default_cuda_index(dist.local_rank % static_cast<int>(torch::cuda::device_count()));
    group = join_process_group(dist, resolve_device(config.device));
    if (cmd.sync_bn) set_sync_batch_norm_group(group);
  }
  const bool is_main = !group || group->is_main();
  // Several workers on one machine share its cores.
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(static_cast<int>(config.threads > 0 ? config.threads : std::max(1, cores / dist.world_size)));

  DataRequest request;
  request.data = config.data;
  request.data_dir = config.data_dir;
  request.cache_dir = (fs::path(config.run_dir) / "dataset").string();
  if (cmd.given_flags.count("--resolution")) request.resolution = config.model.resolution;
  if (cmd.given_flags.count("--channels")) request.channels = config.model.channels;
  request.max_images = config.max_images;
  request.quiet = cmd.quiet || !is_main;
  // Rank 0 loads first (it may prepare a FOLDER into the run directory); the others then read it.
  ImageDataset dataset;
  if (!is_main) any_rank(*group, false);
  dataset = load_training_data(request);
  if (group && is_main) any_rank(*group, false);
  // Resolution and channels come from the data; a flag that disagrees is an error, not a silent resize.
  for (const auto& [flag, wanted, actual] : {std::tuple{"--resolution", config.model.resolution, dataset.resolution()},
                                             std::tuple{"--channels", config.model.channels, dataset.channels()}}) {
    if (cmd.given_flags.count(flag) && wanted != actual) {
      throw UserError(std::string(flag) + " " + std::to_string(wanted) + " does not match the dataset (" +
                      dataset.name + " is " + std::to_string(dataset.resolution()) + "x" +
                      std::to_string(dataset.resolution()) + " with " + std::to_string(dataset.channels()) +
                      " channel(s)): drop the flag, or train on a dataset prepared at that size");
    }
  }
  config.model.resolution = dataset.resolution();
  config.model.channels = dataset.channels();
  const bool length_given = cmd.given_flags.count("--kimg") || cmd.given_flags.count("--steps") ||
                            cmd.given_flags.count("--epochs");
  if (cmd.resume.empty() || length_given) {
    resolve(config, dataset.size());
  } else {
    validate(config);  // the image shape is known now
  }

  // --precision auto becomes what this device runs, so --dry-run and config.json show the choice.
  std::string precision_notice;
  config.precision = resolve_precision(config.precision, resolve_device(config.device), &precision_notice);
  if (!precision_notice.empty() && is_main) std::cerr << precision_notice << "\n";

  if (cmd.dry_run) {
    std::cout << to_json(config).dump(2) << std::endl;
    return TrainExit::kFinished;
  }
  if (cmd.resume.empty() && holds_a_run(config.run_dir)) {
    if (!cmd.overwrite) {
      throw UserError(config.run_dir + " already holds a run: pass --resume " + config.run_dir +
                      " to continue it, --overwrite to start over, or another --name");
    }
    if (is_main) clear_run(config.run_dir);
  }

  // --quiet drops the progress bars only; start, end, interrupt and error lines stay (on rank 0).
  Trainer trainer(config, dataset, /*quiet=*/!is_main);
  trainer.set_progress_bar(!cmd.quiet);
  if (!checkpoint_file.empty()) trainer.resume(checkpoint_file);
  if (group) trainer.set_process_group(group);
  if (!checkpoint_file.empty()) {
    if (is_main) {
      std::cerr << "resuming " << checkpoint_file << " at step " << trainer.state().step << " of "
                << config.total_steps << "\n";
    }
  } else if (is_main) {
    std::cerr << "training " << config.loss << " on " << dataset.name << " (" << dataset.size() << " images, "
              << config.model.resolution << "x" << config.model.resolution << "x" << config.model.channels
              << ") for " << config.total_steps << " generator steps on " << trainer.device() << "; G "
              << count_parameters(trainer.generator()) << " params, D " << count_parameters(trainer.critic())
              << " params";
    if (group)
      std::cerr << "; " << group->world_size() << " ranks (" << group->backend() << "), " << config.batch / group->world_size()
                << " images per rank per step" << (cmd.sync_bn ? ", BatchNorm synchronised" : "");
    std::cerr << "\n";
  }

  Trainer::Outcome outcome;
  try {
    outcome = trainer.run(stop);
  } catch (const TrainingDiverged& e) {
    std::cerr << "\nerror: " << e.what() << "\n";
    return TrainExit::kDiverged;
  }
  if (outcome == Trainer::Outcome::kInterrupted) return TrainExit::kInterrupted;
  if (is_main) {
    const auto checkpoints = list_checkpoints(config.run_dir);
    std::cerr << "done: " << trainer.state().step << " steps in "
              << static_cast<int64_t>(trainer.state().train_seconds) << " s. Results in " << config.run_dir
              << "/\n  samples:     " << (fs::path(config.run_dir) / "samples").string()
              << "/ (one grid per interval; the last is the final one)\n  checkpoint:  "
              << (checkpoints.empty() ? std::string("none") : checkpoints.front())
              << "\n  metrics:     " << (fs::path(config.run_dir) / "metrics.jsonl").string()
              << "\n  more images: wgan sample --checkpoint " << config.run_dir << " --num 64 --grid grid.png\n";
  }
  return TrainExit::kFinished;
}

}  // namespace wgan
