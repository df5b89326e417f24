// wgan: the command-line front end. Each command has an options function (its flags, into the
// library's option struct) and a handler (one library call and what it prints); main parses and
// dispatches, and every exit status comes from wgan::ExitCode.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <sstream>

#include "wgan/data/prepare_command.h"
#include "wgan/dist/launcher.h"
#include "wgan/io/report_command.h"
#include "wgan/losses/losses.h"
#include "wgan/models/architecture.h"
#include "wgan/commands/classifier_command.h"
#include "wgan/commands/eval_command.h"
#include "wgan/metrics/metric.h"
#include "wgan/commands/toy_command.h"
#include "wgan/commands/augment_command.h"
#include "wgan/commands/check_command.h"
#include "wgan/commands/export_command.h"
#include "wgan/commands/sample_command.h"
#include "wgan/commands/train_command.h"
#include "wgan/util/error.h"
#include "wgan/util/printable.h"
#include "wgan/util/stop_signals.h"
#include "wgan/util/version.h"

namespace {

using wgan::ExitCode;

// SIGINT, SIGTERM, SIGHUP: stop after this step with a checkpoint (see wgan/util/stop_signals.h).
// Only rank 0 of a distributed run speaks, so the terminal gets the line once.
const wgan::StopRequest& stop_on_signals(const char* first, const char* insist) {
  const char* rank = std::getenv("RANK");
  const bool speaks = !rank || std::string(rank) == "0";
  return wgan::install_stop_signals({speaks ? first : nullptr, speaks ? insist : nullptr});
}

// A library error inside an option's parse, as CLI11 reports a bad value (exit status and message).
template <typename F>
void as_cli_error(const std::string& flag, F&& parse) {
  try {
    parse();
  } catch (const wgan::UserError& e) {
    throw CLI::ValidationError(flag, e.what());
  }
}

// One option of the option tables (wgan/run/train_options.def, wgan/models/model_options.def),
// left unset unless given: a bool is a flag, a named enum takes one of its names, the rest a value.
// The help is the table's, with the default from wgan::default_help.
template <typename T>
void add_table_option(CLI::App& cmd, const std::string& flag, std::optional<T>& target, const std::string& help,
                      const std::string& group) {
  if (help.empty() || cmd.get_option_no_throw(flag)) return;  // a field set by another flag's parse
  const std::string default_text = wgan::default_help(flag);
  const std::string full_help = help + (default_text.empty() ? "" : " [default: " + default_text + "]");
  CLI::Option* option = nullptr;
  if constexpr (std::is_same_v<T, bool>) {
    option = cmd.add_flag_callback(flag, [&target] { target = true; }, full_help);
  } else if constexpr (wgan::kIsNamedEnum<T>) {
    option = cmd.add_option_function<std::string>(
        flag, [&target, flag](const std::string& text) { as_cli_error(flag, [&] { target = wgan::parse_enum<T>(text, flag); }); },
        full_help);
  } else {
    option = cmd.add_option(flag, target, full_help);
  }
  option->group(group);
}

// An option of a command's own config struct that is a named enum (--device of sample and eval).
template <typename E>
CLI::Option* add_enum_option(CLI::App& cmd, const std::string& flag, E& target, const std::string& help) {
  return cmd
      .add_option_function<std::string>(
          flag, [&target, flag](const std::string& text) { as_cli_error(flag, [&] { target = wgan::parse_enum<E>(text, flag); }); },
          help)
      ->default_str(wgan::name_of(target));
}

// ---- train

struct TrainArgs {
  wgan::TrainCommand command;
  std::optional<std::string> name;
  int nproc = 0;  // read before parsing by take_nproc_flag; listed here for --help
};

CLI::App* add_train_options(CLI::App& app, TrainArgs& args) {
  using namespace wgan;  // the option tables' help texts call the library's help functions
  auto& cmd = *app.add_subcommand("train", "Train a generator (default: WGAN-GP on Fashion-MNIST)");
  auto& g = args.command.given;
  auto& t = args.command;
  // --augment-p takes a probability or `ada`, which sets two fields (augment_p and augment_ada).
  auto add_augment_p = [&g](CLI::App& app_cmd, const std::string& help, const std::string& group) {
    app_cmd
        .add_option_function<std::string>(
            "--augment-p",
            [&g](const std::string& value) {
              if (value == "ada") {
                g.augment_ada = true;
                g.augment_p = 0.0;  // adaptive: it starts with no augmentation and rises when the critic overfits
                return;
              }
              try {
                size_t used = 0;
                g.augment_p = std::stod(value, &used);
                if (used == value.size()) return;
              } catch (const std::exception&) {
              }
              throw CLI::ValidationError("--augment-p", "'" + value + "' is neither a probability in [0, 1] nor ada");
            },
            help + " [default: " + default_help("--augment-p") + "]")
        ->group(group);
  };
  // Every option of the two tables, in their groups: the networks first, then the run.
  std::string group;
#define WGAN_GROUP(title) group = title;
#define WGAN_OPTION(field, type, default_value, rule, flag, range, help) \
  add_table_option(cmd, flag, g.model.field, help, group);
#include "wgan/models/model_options.def"
#undef WGAN_OPTION
#define WGAN_GROUP(title) group = title;
#define WGAN_OPTION(field, type, default_value, rule, flag, range, help) \
  if (std::string(#field) == "augment_p") {                              \
    add_augment_p(cmd, help, group);                                     \
  } else {                                                               \
    add_table_option(cmd, flag, g.field, help, group);                   \
  }
#include "wgan/run/train_options.def"
#undef WGAN_OPTION
  // --grow: progressive growing from 8x8 (--grow-from picks another start).
  cmd.add_flag_callback("--grow", [&g] { if (!g.model.grow_from) g.model.grow_from = 8; },
                        "Progressive growing from 8x8: --grow-from 8")
      ->group("Networks");
  // The command's own options: how to start, not what the run is.
  cmd.add_option("--name", args.name, "Run name: the run directory is runs/NAME");
  cmd.add_option("--nproc", args.nproc, "Data-parallel training: start N worker processes on this machine (Gloo "
                 "on CPU, NCCL on GPUs, one GPU per worker); --batch is the total over all workers. Under torchrun "
                 "or Slurm leave it out: WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR, MASTER_PORT are read instead");
  cmd.add_option("--dist-backend", t.dist_backend, "gloo, nccl or auto (nccl for cuda, gloo for cpu)")
      ->capture_default_str();
  cmd.add_option("--dist-timeout", t.dist_timeout_s, "Seconds a rank waits for the others before failing (a dead "
                 "or hung rank)")->capture_default_str();
  cmd.add_flag("--sync-bn", t.sync_bn, "Distributed: compute the generator's BatchNorm statistics over all ranks "
               "(default: per rank, over its share of the batch)");
  std::string resumable;
  for (const auto& flag : wgan::resumable_flags()) resumable += (resumable.empty() ? "" : " ") + flag;
  cmd.add_option("--resume", t.resume, "Continue a run: its directory (newest readable checkpoint) or a checkpoint "
                 "file; give a longer --steps/--kimg/--epochs to extend it. Flags that may change when resuming: " +
                 resumable + " --name and the ones below");
  cmd.add_flag("--overwrite", t.overwrite, "Start over in a run directory that already holds a run (deletes its "
               "checkpoints, samples and metrics)");
  cmd.add_flag("--dry-run", t.dry_run, "Print the resolved config as JSON and exit");
  cmd.add_flag("--quiet", t.quiet, "No progress bar");
  return &cmd;
}

ExitCode train_main(TrainArgs& args) {
  auto& given = args.command.given;
  if (args.name && !given.run_dir) given.run_dir = "runs/" + *args.name;
  const auto& stop = stop_on_signals(
      "\nstopping after this step: writing the checkpoint (Ctrl-C again to skip the grid)\n",
      "\nsecond Ctrl-C: writing the checkpoint only, no final grid or report\n");
  return wgan::run_train(args.command, &stop);
}

// ---- prepare

struct PrepareArgs {
  wgan::PrepareConfig config;
  std::string crop = "center";
};

CLI::App* add_prepare_options(CLI::App& app, PrepareArgs& args) {
  auto& cmd = *app.add_subcommand("prepare", "Pack a folder of images into a training dataset (once, fast)");
  auto& c = args.config;
  cmd.add_option("source", c.source, "Folder of images (searched recursively; JPEG, PNG, BMP, WebP, TIFF)")->required();
  cmd.add_option("--out", c.out, "Dataset folder to write (images.npy + manifest.json)")->required();
  cmd.add_option("--preset", c.preset, "celeba (centred 140x140 box of the aligned 178x218 faces, then 64), anime "
                 "(centre crop, 64), flowers (centre crop, 64); sets crop and resolution");
  cmd.add_option("--resolution", c.fit.resolution, "Output side, a power of two 32..256")->capture_default_str();
  cmd.add_option("--channels", c.fit.channels, "1 (gray) or 3 (RGB)")->capture_default_str();
  cmd.add_option("--crop", args.crop, "center (largest centred square), none (squash), or WxH (a centred box)")
      ->capture_default_str();
  cmd.add_option("--min-side", c.fit.min_side, "Skip images whose smaller side is below this")->capture_default_str();
  cmd.add_option("--max-pixels", c.fit.max_pixels, "Skip images whose header declares more pixels (decompression "
                 "bombs)")->capture_default_str();
  cmd.add_option("--max-images", c.max_images, "Only the first N image files in path order (0 = all)")
      ->capture_default_str();
  cmd.add_option("--threads", c.threads, "Decoding threads (0 = all cores)")->capture_default_str();
  cmd.add_flag("--strict", c.strict, "Fail (and write nothing) when any file is skipped");
  cmd.add_flag("--quiet", c.quiet, "No progress bar");
  return &cmd;
}

ExitCode prepare_main(PrepareArgs& args) {
  wgan::parse_crop(args.crop, args.config.fit);
  const auto report = wgan::run_prepare(args.config);
  std::cerr << "prepared " << report.kept << " images into " << args.config.out << " in "
            << static_cast<int64_t>(report.seconds) << " s; skipped " << report.skipped.size() << "\n";
  if (!report.classes.empty()) {
    std::string names;
    for (size_t i = 0; i < report.classes.size() && i < 10; ++i) names += (i ? ", " : "") + report.classes[i];
    std::cerr << report.classes.size() << (report.classes.size() == 1 ? " class" : " classes") << " from the subfolders (labels.npy; wgan train --cond uses them): "
              << names << (report.classes.size() > 10 ? ", ..." : "") << "\n";
  } else if (report.unlabeled > 0) {
    std::cerr << "note: " << report.unlabeled << " images lie directly in the source folder and the others in "
              << "subfolders, so no classes were recorded (wgan train --cond needs every image in a class subfolder)\n";
  }
  const size_t shown_count = std::min<size_t>(report.skipped.size(), 20);
  for (size_t i = 0; i < shown_count; ++i)
    std::cerr << "  skipped " << wgan::terminal_safe(report.skipped[i].path) << ": "
              << wgan::terminal_safe(report.skipped[i].reason) << "\n";
  if (report.skipped.size() > shown_count)
    std::cerr << "  ... all reasons are in " << args.config.out << "/manifest.json\n";
  return ExitCode::kFinished;
}

// ---- sample

struct SampleArgs {
  wgan::SampleConfig config;
  bool no_ema = false;
};

CLI::App* add_sample_options(CLI::App& app, SampleArgs& args) {
  auto& cmd = *app.add_subcommand("sample", "Generate images from a checkpoint");
  auto& c = args.config;
  cmd.add_option("--checkpoint", c.checkpoint, "Checkpoint file, or a run directory (its newest)")->required();
  cmd.add_option("--num", c.num, "How many images (default 64). A conditional model: per class; without --class "
                 "the default is --nrow, one grid row per class");
  cmd.add_option("--class", c.classes, "Conditional models (trained with --cond): the classes to generate, by name "
                 "or index, comma-separated (e.g. Coat,Bag or 4,8); default every class. Each class uses the same "
                 "latent vectors, so the grid compares classes image by image; --interpolate walks within each class");
  cmd.add_option("--out", c.out_dir, "Write one PNG per image into this folder");
  cmd.add_option("--grid", c.grid, "Write one grid PNG (the default, samples.png)");
  cmd.add_option("--npy", c.npy, "Also write the images as float32 [N, C, H, W] in [-1, 1] to this .npy file "
                 "(numpy.load reads it; exact values, unlike the PNGs)");
  cmd.add_option("--nrow", c.nrow, "Images per grid row")->capture_default_str();
  cmd.add_option("--seed", c.seed, "Latent seed: the same seed gives the same images")->capture_default_str();
  cmd.add_flag("--no-ema", args.no_ema, "Use the raw generator instead of its moving average");
  add_enum_option(cmd, "--device", c.device, "cpu, cuda or auto");
  cmd.add_option("--arch", c.arch, "blog: --checkpoint is the blog post's own G.ckpt (torch.save(G.state_dict())); "
                 "seed is accepted as its old name");
  cmd.add_option("--interpolate", c.interpolate, "SEED_A,SEED_B: a strip walking the latent sphere from seed A's z "
                 "to seed B's (slerp)");
  cmd.add_option("--steps", c.steps, "Images along --interpolate, both ends included")->capture_default_str();
  return &cmd;
}

ExitCode sample_main(SampleArgs& args) {
  args.config.use_ema = !args.no_ema;
  for (const auto& path : wgan::run_sample(args.config)) std::cout << path << "\n";
  return ExitCode::kFinished;
}

// ---- export

struct ExportArgs {
  wgan::ExportConfig config;
  bool no_ema = false;
};

CLI::App* add_export_options(CLI::App& app, ExportArgs& args) {
  auto& cmd = *app.add_subcommand(
      "export", "Write the generator for use elsewhere: a PyTorch state dict (.pt), an ONNX model (.onnx), or a "
                "folder with a web page that generates in the browser (--web)");
  auto& c = args.config;
  cmd.add_option("--checkpoint", c.checkpoint, "Checkpoint file, or a run directory (its newest)")->required();
  cmd.add_option("--to", c.to, "FILE.pt: PyTorch state dict (torch.load reads it); FILE.onnx: ONNX model (opset 13, "
                 "input z [N, latent], output images [N, C, H, W] in [-1, 1]); with --web: a folder")->required();
  cmd.add_flag("--no-ema", args.no_ema, "Export the raw generator instead of its moving average");
  cmd.add_flag("--web", c.web, "Write a static web page into the folder --to: generator.onnx run by onnxruntime-web, "
               "a grid per seed (the same images as wgan sample --seed), a walk between two seeds, save as PNG; "
               "open it through any static server (python3 -m http.server)");
  cmd.add_option("--ort-web", c.ort_web, "onnxruntime-web's dist/ folder to copy the runtime from (default: "
                 "$WGAN_ORT_WEB, else the copy `make onnxruntime` fetches)");
  cmd.add_option("--arch", c.arch, "blog: --checkpoint is the blog post's own G.ckpt (torch.save(G.state_dict())); "
                 "seed is accepted as its old name");
  return &cmd;
}

ExitCode export_main(ExportArgs& args) {
  args.config.use_ema = !args.no_ema;
  for (const auto& path : wgan::run_export(args.config)) std::cout << path << "\n";
  return ExitCode::kFinished;
}

// ---- report

CLI::App* add_report_options(CLI::App& app, std::string& run_dir) {
  auto& cmd = *app.add_subcommand("report", "Rebuild RUN_DIR/report.html (curves, grids, config) from its files");
  cmd.add_option("run_dir", run_dir, "Run directory")->required();
  return &cmd;
}

ExitCode report_main(const std::string& run_dir) {
  std::cout << wgan::write_report(run_dir) << "\n";
  return ExitCode::kFinished;
}

// ---- check

CLI::App* add_check_options(CLI::App& app, std::vector<std::string>& paths) {
  auto& cmd = *app.add_subcommand("check", "Verify what wgan reads back, one line per file, changing nothing: a run "
                                  "directory (every checkpoint's records against their CRC-32s, config.json, "
                                  "metrics.jsonl, the prepared dataset it trains on), a checkpoint or torch.save "
                                  "file, or a prepared dataset (its images against the manifest's CRC-32). Exit 0 "
                                  "when nothing is damaged, 1 otherwise");
  cmd.add_option("paths", paths, "Run directories, checkpoint files, prepared datasets")->required();
  return &cmd;
}

ExitCode check_main(const std::vector<std::string>& paths) {
  const auto lines = wgan::run_check(paths);
  for (const auto& line : lines) {
    std::printf("%-8s %s: %s\n", line.status.c_str(), wgan::terminal_safe(line.file).c_str(),
                wgan::terminal_safe(line.detail).c_str());
  }
  return wgan::any_damaged(lines) ? ExitCode::kUserError : ExitCode::kFinished;
}

// ---- classifier

CLI::App* add_classifier_options(CLI::App& app, wgan::ClassifierTrainOptions& c) {
  auto& cmd = *app.add_subcommand("classifier", "Train the Fashion-MNIST classifier whose features the fd-fmnist "
                                  "metric uses (the committed models/fashion_mnist_classifier.pt was made by this "
                                  "command with its defaults)");
  c.out = "models/fashion_mnist_classifier.pt";
  cmd.add_option("--out", c.out, "Weights file to write")->capture_default_str();
  cmd.add_option("--data-dir", c.data_dir, "Folder holding Fashion-MNIST's idx .gz files")->capture_default_str();
  cmd.add_option("--epochs", c.epochs, "Passes over the 60k training images")->capture_default_str();
  cmd.add_option("--batch", c.batch, "Images per step")->capture_default_str();
  cmd.add_option("--lr", c.lr, "Adam learning rate (x0.1 for the last fifth of the epochs)")->capture_default_str();
  cmd.add_option("--seed", c.seed, "Seeds weights, order and flips")->capture_default_str();
  cmd.add_option("--threads", c.threads, "CPU threads (0 = all cores)")->capture_default_str();
  cmd.add_option("--max-images", c.max_images, "Train on the first N images only (0 = all)")->capture_default_str();
  return &cmd;
}

ExitCode classifier_main(const wgan::ClassifierTrainOptions& c) {
  const double accuracy = wgan::train_fashion_classifier(c);
  std::cout << c.out << ": test accuracy " << accuracy << "\n";
  return ExitCode::kFinished;
}

// ---- toy

struct ToyArgs {
  wgan::ToyConfig config;
  bool paper = false;
  CLI::Option *steps = nullptr, *hidden = nullptr, *lr = nullptr, *decay = nullptr;  // --paper keeps what is given
};

CLI::App* add_toy_options(CLI::App& app, ToyArgs& args) {
  auto& cmd = *app.add_subcommand("toy", "The WGAN-GP paper's 2-D experiments: mode coverage and the critic's "
                                  "contours on 8gaussians, 25gaussians or swissroll");
  auto& c = args.config;
  cmd.add_option("--dataset", c.dataset, "8gaussians, 25gaussians or swissroll")->capture_default_str();
  cmd.add_option("--loss", c.loss, "wgan-gp, wgan (clipping) or gan, for contrast")->capture_default_str();
  cmd.add_flag("--paper", args.paper, "The paper's settings instead of the fast defaults: --hidden 512, its "
               "learning rate (Adam 1e-4) held constant, 20000 steps (about 100 minutes on a 2-core CPU); flags "
               "given with it still apply");
  args.steps =
      cmd.add_option("--steps", c.steps, "Generator iterations (the paper runs 100000)")->capture_default_str();
  cmd.add_option("--batch", c.batch, "Points per step")->capture_default_str();
  cmd.add_option("--n-critic", c.n_critic, "Critic steps per generator step")->capture_default_str();
  args.hidden = cmd.add_option("--hidden", c.hidden, "Units in each of the 3 hidden layers")->capture_default_str();
  cmd.add_option("--gp-lambda", c.gp_lambda, "Gradient penalty weight (the paper's toy value)")->capture_default_str();
  cmd.add_option("--ema", c.ema, "Metrics and picture use a moving average of the generator's weights with this "
                 "decay per step (0 = the raw generator; both are logged)")->capture_default_str();
  args.lr = cmd.add_option("--lr", c.lr, "Learning rate (0 = the paper's: Adam 1e-4, betas 0.5/0.9; wgan: RMSprop "
                           "5e-5)")->capture_default_str();
  args.decay = cmd.add_option("--lr-decay-from", c.lr_decay_from, "From this fraction of --steps on, the learning "
                              "rate falls linearly to 0 at the last step (1 = constant, the paper's)")
                   ->capture_default_str();
  cmd.add_option("--eval-every", c.eval_every, "Generator steps between metric lines and pictures")
      ->capture_default_str();
  cmd.add_option("--eval-samples", c.eval_samples, "Samples the mode metrics use")->capture_default_str();
  cmd.add_option("--stop-at-quality", c.stop_at_quality, "Stop once every mode is covered and this share of samples "
                 "is high quality (0 = run all steps)")->capture_default_str();
  cmd.add_option("--seed", c.seed, "Seeds weights, data and noise")->capture_default_str();
  cmd.add_option("--threads", c.threads, "CPU threads (0 = all cores)")->capture_default_str();
  cmd.add_option("--out", c.out, "Folder for metrics.jsonl and DATASET.png")->capture_default_str();
  cmd.add_flag("--quiet", c.quiet, "No progress bar");
  return &cmd;
}

ExitCode toy_main(ToyArgs& args) {
  auto& c = args.config;
  if (args.paper) {
    const auto paper = wgan::paper_toy_config();
    if (args.steps->count() == 0) c.steps = paper.steps;
    if (args.hidden->count() == 0) c.hidden = paper.hidden;
    if (args.lr->count() == 0) c.lr = paper.lr;
    if (args.decay->count() == 0) c.lr_decay_from = paper.lr_decay_from;
  }
  const auto& stop = stop_on_signals("\nstopping after this step: writing the picture\n", nullptr);
  const auto result = wgan::run_toy(c, &stop);
  std::cout << "step " << result.steps;
  if (result.metrics.modes > 0)
    std::cout << ": modes covered " << result.metrics.modes_covered << "/" << result.metrics.modes
              << ", high quality " << result.metrics.high_quality << ", KL to uniform " << result.metrics.kl_to_uniform;
  std::cout << "\npicture: " << result.picture << "\n";
  return stop.raised() ? ExitCode::kInterrupted : ExitCode::kFinished;
}

// ---- augment

CLI::App* add_augment_options(CLI::App& app, wgan::AugmentPreviewConfig& c) {
  auto& cmd = *app.add_subcommand("augment", "Show what --augment does: a grid of training images, each row "
                                  "followed by the same images as the critic would see them");
  cmd.add_option("--data", c.data, "As wgan train --data: fashion-mnist, a DATASET or a FOLDER")->capture_default_str();
  cmd.add_option("--data-dir", c.data_dir, "Folder holding Fashion-MNIST's idx .gz files")->capture_default_str();
  cmd.add_option("--augment", c.augment, "As wgan train --augment: color, translation, cutout, comma-separated")
      ->capture_default_str();
  cmd.add_option("--augment-p", c.augment_p, "As wgan train --augment-p")->capture_default_str();
  cmd.add_option("--num", c.num, "Training images shown")->capture_default_str();
  cmd.add_option("--nrow", c.nrow, "Images per grid row")->capture_default_str();
  cmd.add_option("--seed", c.seed, "Which images, and the transforms' random draws")->capture_default_str();
  cmd.add_option("--grid", c.grid, "The PNG to write")->capture_default_str();
  return &cmd;
}

ExitCode augment_main(const wgan::AugmentPreviewConfig& c) {
  std::cout << wgan::run_augment_preview(c) << "\n";
  return ExitCode::kFinished;
}

// ---- eval

struct EvalArgs {
  wgan::EvalConfig config;
  bool no_ema = false;
};

CLI::App* add_eval_options(CLI::App& app, EvalArgs& args) {
  auto& cmd = *app.add_subcommand("eval", "Measure a trained generator's quality (SWD, Fashion-MNIST classifier "
                                  "distance, FID/KID with your Inception); prints one JSON line");
  auto& c = args.config;
  std::string metric_help = "Comma-separated metrics (default: swd,fd-fmnist on Fashion-MNIST, swd otherwise):";
  for (const auto& info : wgan::metric_registry()) metric_help += "\n  " + info.name + ": " + info.description;
  cmd.add_option("--checkpoint", c.checkpoint, "Checkpoint file, or a run directory (its newest)")->required();
  cmd.add_option("--metrics", c.metrics, metric_help);
  cmd.add_option("--data", c.data, "Real images: fashion-mnist (its 10k test split) or a DATASET/FOLDER (default: "
                 "the run's --data)");
  cmd.add_option("--data-dir", c.data_dir, "Folder holding Fashion-MNIST's idx .gz files (default: the run's)");
  cmd.add_option("--num", c.num, "Generated images (SWD, FID and KID compare as many real ones)")
      ->capture_default_str();
  cmd.add_option("--seed", c.seed, "Seeds latents, patches, directions and KID subsets")->capture_default_str();
  cmd.add_flag("--no-ema", args.no_ema, "Evaluate the raw generator instead of its moving average");
  add_enum_option(cmd, "--device", c.device, "cpu, cuda or auto");
  cmd.add_option("--classifier", c.classifier, "fd-fmnist weights (default: the committed "
                 "models/fashion_mnist_classifier.pt, made by `wgan classifier`)");
  cmd.add_option("--inception", c.inception, "fid/kid: a TorchScript Inception called as "
                 "net(images_0_255, return_features=True), e.g. StyleGAN2-ADA's inception-2015-12-05.pt");
  cmd.add_option("--out", c.out, "Also append the JSON line to this file");
  cmd.add_option("--threads", c.threads, "CPU threads (0 = all cores)")->capture_default_str();
  return &cmd;
}

ExitCode eval_main(EvalArgs& args) {
  args.config.use_ema = !args.no_ema;
  std::cout << wgan::run_eval(args.config).dump() << std::endl;
  return ExitCode::kFinished;
}

// Runs a handler; bad input of any kind is one line on stderr and kUserError, never a crash. Messages
// may quote a damaged file: terminal_safe keeps its raw bytes off the terminal.
int guarded(const std::function<ExitCode()>& handler) {
  try {
    return static_cast<int>(handler());
  } catch (const wgan::UserError& e) {
    std::cerr << "error: " << wgan::terminal_safe(e.what()) << std::endl;
  } catch (const c10::Error& e) {
    std::cerr << "error: " << wgan::terminal_safe(e.what_without_backtrace()) << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "error: " << wgan::terminal_safe(e.what()) << std::endl;
  }
  return static_cast<int>(ExitCode::kUserError);
}

// `train --nproc N`: this process becomes a launcher of N workers running the same command.
std::optional<int> launch_workers(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] != "train") return std::nullopt;
  const bool help = std::find(args.begin(), args.end(), "--help") != args.end() ||
                    std::find(args.begin(), args.end(), "-h") != args.end();
  const int nproc = wgan::take_nproc_flag(args);
  if (nproc <= 0 || help) return std::nullopt;
  return wgan::run_local_workers(nproc, args);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wgan: train Wasserstein GANs with gradient penalty on images, and sample from them"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Help for every command");
  app.set_version_flag("--version", std::string("wgan ") + wgan::kWganVersion);

  // ---- The commands: each one's options, and the handler that runs when it is chosen.
  TrainArgs train;
  PrepareArgs prepare;
  SampleArgs sample;
  ExportArgs export_args;
  std::string report_dir;
  std::vector<std::string> check_paths;
  wgan::ClassifierTrainOptions classifier;
  ToyArgs toy;
  EvalArgs eval;
  wgan::AugmentPreviewConfig augment;
  const std::vector<std::pair<CLI::App*, std::function<ExitCode()>>> commands = {
      {add_train_options(app, train), [&] { return train_main(train); }},
      {add_prepare_options(app, prepare), [&] { return prepare_main(prepare); }},
      {add_sample_options(app, sample), [&] { return sample_main(sample); }},
      {add_export_options(app, export_args), [&] { return export_main(export_args); }},
      {add_report_options(app, report_dir), [&] { return report_main(report_dir); }},
      {add_check_options(app, check_paths), [&] { return check_main(check_paths); }},
      {add_classifier_options(app, classifier), [&] { return classifier_main(classifier); }},
      {add_toy_options(app, toy), [&] { return toy_main(toy); }},
      {add_eval_options(app, eval), [&] { return eval_main(eval); }},
      {add_augment_options(app, augment), [&] { return augment_main(augment); }},
  };

  // ---- Launch local workers (--nproc), or parse and run the chosen command.
  std::optional<int> launched;
  const int launch_code = guarded([&] {
    launched = launch_workers(argc, argv);
    return ExitCode::kFinished;
  });
  if (launch_code != 0) return launch_code;
  if (launched) return *launched;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int printed = app.exit(e);  // prints the help, or the error with a hint
    return printed == 0 ? 0 : static_cast<int>(ExitCode::kUsage);
  }
  for (const auto& [command, handler] : commands)
    if (*command) return guarded(handler);
  return static_cast<int>(ExitCode::kUsage);
}
