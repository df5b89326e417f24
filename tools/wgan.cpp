// wgan: the command-line front end. Each command has an options function (its flags, into the
// library's option struct) and a handler (one library call and what it prints); main parses and
// dispatches, and every exit status comes from wgan::ExitCode.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <sstream>

#include "wgan/data/prepare_command.h"
#include "wgan/dist/launcher.h"
#include "wgan/io/report_command.h"
#include "wgan/losses/losses.h"
#include "wgan/commands/classifier_command.h"
#include "wgan/commands/eval_command.h"
#include "wgan/metrics/metric.h"
#include "wgan/commands/toy_command.h"
#include "wgan/commands/augment_command.h"
#include "wgan/commands/export_command.h"
#include "wgan/commands/sample_command.h"
#include "wgan/commands/train_command.h"
#include "wgan/util/error.h"
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

// How --help shows a default: as the option table holds it.
template <typename T>
std::string shown(const T& value) {
  std::ostringstream out;
  out << std::boolalpha << value;
  return out.str();
}

// An option that stays unset unless given, with the config's default shown in --help.
template <typename T, typename D>
CLI::Option* add_given(CLI::App& cmd, const std::string& flag, std::optional<T>& target, const D& default_value,
                       const std::string& help) {
  return cmd.add_option(flag, target, help)->default_str(shown(default_value));
}
template <typename T>
CLI::Option* add_given(CLI::App& cmd, const std::string& flag, std::optional<T>& target, const std::string& help) {
  return cmd.add_option(flag, target, help);
}
CLI::Option* add_given_flag(CLI::App& cmd, const std::string& flag, std::optional<bool>& target,
                            const std::string& help) {
  return cmd.add_flag_callback(flag, [&target] { target = true; }, help);
}

// ---- train

struct TrainArgs {
  wgan::TrainCommand command;
  std::optional<std::string> name;
  int nproc = 0;  // read before parsing by take_nproc_flag; listed here for --help
};

CLI::App* add_train_options(CLI::App& app, TrainArgs& args) {
  auto& cmd = *app.add_subcommand("train", "Train a generator (default: WGAN-GP on Fashion-MNIST)");
  const wgan::TrainConfig d;  // the defaults --help shows
  auto& g = args.command.given;
  auto& m = g.model;
  auto& t = args.command;
  std::string losses;
  for (const auto& loss : wgan::loss_table()) losses += "\n  " + loss.name + ": " + loss.summary;
  add_given(cmd, "--data", g.data, d.data, "fashion-mnist (built in, 28x28 padded to 32x32), a DATASET made by "
            "`wgan prepare`, or a FOLDER of images (prepared once into RUN_DIR/dataset at --resolution, default 64)");
  add_given(cmd, "--data-dir", g.data_dir, d.data_dir, "Folder holding Fashion-MNIST's idx .gz files");
  add_given(cmd, "--max-images", g.max_images, d.max_images, "Use only the first N images (0 = all)");
  add_given_flag(cmd, "--xflip", g.xflip, "Mirror training images left-right at random (doubles the data for faces)");
  add_given_flag(cmd, "--cond", g.cond, "Class-conditional training: each image's class comes from the data (the "
                 "first-level subfolder it was prepared from, as torchvision's ImageFolder; Fashion-MNIST's 10 "
                 "classes). The generator gets conditional BatchNorm, the critic a projection term; grids show one "
                 "row per class and `wgan sample --class NAME` asks for one. Works with --arch dcgan and resnet");
  add_given(cmd, "--class-loss", g.class_loss, d.class_loss, "With --cond: the weight of the critic's auxiliary "
            "classifier (AC-GAN, as the WGAN-GP paper's conditional model): a linear head on the critic's "
            "features learns the classes of real images, and the generator is asked, at a tenth of the weight, "
            "for images it classifies as their class. It makes the classes distinct sooner: on Fashion-MNIST at "
            "the demo's length, 3 gave 92.6% of samples in their class (1: 89.5%, 0: 87.0%; docs/quality.md); "
            "0 leaves the projection term alone");
  add_given(cmd, "--augment", g.augment, "Small data sets (a few hundred to a few thousand images): show the critic "
            "real and generated images through these differentiable transforms, comma-separated: color "
            "(brightness, saturation, contrast), translation (up to 1/8 of the side, zero-padded), cutout (a square "
            "of half the side); e.g. color,translation,cutout. Keeps the critic from memorising the data; off by "
            "default (large data sets do not need it). Use it with --augment-p ada for long runs on a few "
            "thousand images or fewer, where the critic's overfitting signal (ada_signal in metrics.jsonl) "
            "climbs: on 2,000 Fashion-MNIST images over 10,000 steps it lowered fd-fmnist by 7%; over short "
            "runs it changes little (docs/quality.md). See what it does first with `wgan augment`");
  cmd.add_option_function<std::string>(
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
         "With --augment: the probability that each transform is applied to an image. 1 (DiffAugment's choice) "
         "applies every transform to every image: it slows learning (1.6x the fd-fmnist of no augmentation "
         "at 2,000 steps on 2,000 images) and may leak transforms into the generated images; 0.25 caught up "
         "with no augmentation after about 8,000 steps and then passed it. ada (recommended): start at 0 and "
         "let the critic's overfitting move it (ADA, Karras et al. 2020): every 4 steps the critic scores "
         "training images, held-out real images and generated ones, and p rises "
         "while the held-out ones score nearer the generated than --ada-target says, and falls otherwise. The "
         "held-out images are those --max-images leaves unused, or else the last 5% of the data (kept out of "
         "training). Without a clear overfitting regime ada keeps p near 0, which costs nothing")
      ->default_str(shown(d.augment_p));
  add_given(cmd, "--ada-target", g.ada_target, d.ada_target, "With --augment-p ada: the overfitting signal "
            "r = (D(train) - D(held-out)) / (D(train) - D(generated)) that p is steered to: 0 when the critic "
            "scores unseen real images as it scores its training images, 1 when it scores them as it scores "
            "generated ones. Lower: more augmentation");
  add_given(cmd, "--ada-kimg", g.ada_kimg, d.ada_kimg, "With --augment-p ada: how fast p moves, as the thousands "
            "of real images over which it could go from 0 to 1 (ADA's 500)");
  add_given(cmd, "--arch", m.arch, d.model.arch, "Networks: dcgan (the blog post's kind, any resolution; fastest), "
            "resnet (the WGAN-GP paper's residual networks, any resolution: the better one in the paper's long "
            "CIFAR-10 runs; on a 2-core CPU about 5x dcgan's time per step and behind it at 10, 30 and 60 "
            "minutes, docs/quality.md, so choose it for long GPU runs; "
            "trains with Adam 2e-4, --lr-decay linear and no critic normalisation unless given), or blog (the blog post's exact 64x64 RGB networks and parameter names; seed is its old name)");
  add_given(cmd, "--resolution", m.resolution, "Image side, power of two 32..256 (default: from the dataset)");
  add_given(cmd, "--channels", m.channels, "1 or 3 (default: from the dataset)");
  add_given(cmd, "--latent-dim", m.latent_dim, d.model.latent_dim, "Size of the latent vector z");
  add_given(cmd, "--width", m.width, d.model.width, "dcgan: channels of the highest-resolution layer (x2 per level, "
            "at most x8); resnet: channels of every block (the paper: 128). Default 64, on the CPU 32: the best "
            "quality per minute there");
  add_given(cmd, "--critic-norm", m.critic_norm, d.model.critic_norm, "Critic normalisation: layer (WGAN-GP paper; dcgan's "
            "default), instance, none (resnet's default), batch (the blog post's; breaks the per-sample penalty)");
  add_given(cmd, "--loss", g.loss, d.loss, "The adversarial loss, with its own optimizer defaults:" + losses);
  add_given(cmd, "--gp-lambda", g.gp_lambda, d.gp_lambda, "Gradient penalty weight (wgan-gp)");
  add_given(cmd, "--gp-every", g.gp_every, d.gp_every, "Lazy penalty, a speed option: compute the gradient penalty "
            "on every k-th critic step only, weighted k times (1 = every step, the paper's method)");
  add_given(cmd, "--clip", g.clip, d.clip, "Weight clipping bound (wgan)");
  add_given(cmd, "--batch", g.batch, d.batch, "Images per critic step and per generator step");
  add_given(cmd, "--n-critic", g.n_critic, "Critic steps per generator step (default: wgan-gp 5, wgan 5, gan 1)");
  add_given(cmd, "--lr", g.lr, "Learning rate (default: wgan-gp 1e-4 Adam, 2e-4 on the CPU with its narrower "
            "default width; wgan 5e-5 RMSprop; gan 2e-4 Adam)");
  add_given(cmd, "--beta1", g.beta1, "Adam beta1 (default: wgan-gp 0, gan 0.5)");
  add_given(cmd, "--beta2", g.beta2, "Adam beta2 (default: wgan-gp 0.9, gan 0.999)");
  add_given(cmd, "--lr-decay", g.lr_decay, d.lr_decay, "Learning-rate schedule of both networks: none, or linear "
            "(from --lr down to 0 at the last step, as the WGAN-GP paper trains its ResNet; --arch resnet's "
            "default)");
  add_given(cmd, "--ema-kimg", g.ema_kimg, d.ema_kimg, "Half-life of the generator's moving average in kimg (0 = "
            "no EMA)");
  add_given(cmd, "--ema-rampup", g.ema_rampup, d.ema_rampup, "Early in a run the EMA half-life is at most this "
            "fraction of the images seen so far, so the average forgets the random start (0 = no ramp-up)");
  add_given(cmd, "--steps", g.steps, "Run length in generator steps (the run's total; default " +
            std::to_string(wgan::kDefaultSteps) + ")");
  add_given(cmd, "--kimg", g.kimg, "Run length in thousands of real images shown to the critic");
  add_given(cmd, "--epochs", g.epochs, "Run length in passes of the critic over the dataset");
  add_given(cmd, "--seed", g.seed, d.seed, "Seeds weights, noise, data order and the fixed sample z");
  add_given(cmd, "--threads", g.threads, d.threads, "CPU threads (0 = all cores)");
  add_given(cmd, "--device", g.device, d.device, "cpu, cuda or auto");
  add_given(cmd, "--precision", g.precision, d.precision, "auto, fp32 or bf16. bf16: the networks run under "
            "bfloat16 autocast while the weights, optimizer, gradient penalty and losses stay float32 (2-3x faster "
            "on CPUs with avx512_bf16/amx_bf16 and on GPUs of compute capability 8.0+). auto: bf16 where the "
            "device has native bfloat16, else fp32; config.json records the choice");
  add_given_flag(cmd, "--channels-last", g.channels_last, "Keep the networks and batches in NHWC memory (a GPU "
                 "speed option; see docs/performance.md for when it pays)");
  add_given(cmd, "--gpu-data", g.gpu_data, d.gpu_data, "Keep the uint8 dataset on the GPU and batch there: auto "
            "(when it is under 4 GB), on or off");
  add_given_flag(cmd, "--cuda-graph", g.cuda_graph, "Record one training iteration as a CUDA graph and replay it: "
                 "one launch per iteration instead of thousands (GPU speed option; needs the data on the GPU, "
                 "--gp-every 1, Adam, one process)");
  add_given(cmd, "--check-every", g.check_every, d.check_every, "Generator steps between reading losses from the "
            "device and checking them for NaN/Inf (0 = every step on the CPU, every --log-every steps on a GPU, "
            "so the GPU never waits for the host)");
  add_given(cmd, "--name", args.name, "Run name: the run directory is runs/NAME");
  add_given(cmd, "--run-dir", g.run_dir, d.run_dir, "Run directory (any path; overrides --name)");
  add_given(cmd, "--log-every", g.log_every, d.log_every, "Generator steps between metrics.jsonl lines");
  add_given(cmd, "--sample-every", g.sample_every, d.sample_every, "Generator steps between sample grids");
  add_given(cmd, "--checkpoint-every", g.checkpoint_every, d.checkpoint_every, "Generator steps between "
            "checkpoints (one is always written at the end and on a stop signal)");
  add_given(cmd, "--checkpoint-minutes", g.checkpoint_minutes, d.checkpoint_minutes, "Minutes of wall clock between "
            "checkpoints as well, whichever of this and --checkpoint-every comes first, so that a kill -9, an "
            "out-of-memory kill or a power cut loses at most this much (0 = by steps only). Resuming from one is as "
            "exact as from any checkpoint; --keep-checkpoints applies to both kinds. At 64x64 with the CPU defaults "
            "a checkpoint is 26 MB and takes about 0.1 s");
  add_given(cmd, "--keep-checkpoints", g.keep_checkpoints, d.keep_checkpoints, "How many of the newest "
            "checkpoints to keep");
  add_given(cmd, "--sample-count", g.sample_count, d.sample_count, "Images in each sample grid");
  add_given(cmd, "--nrow", g.grid_nrow, d.grid_nrow, "Images per grid row");
  add_given(cmd, "--metrics", g.metrics, "Quality metrics to compute during training, comma-separated (swd, "
            "fd-fmnist, fid, kid; see `wgan eval`), appended to metrics.jsonl");
  add_given(cmd, "--metrics-every", g.metrics_every_kimg, d.metrics_every_kimg, "kimg between metric evaluations "
            "(0 = only at the end)");
  add_given(cmd, "--metrics-num", g.metrics_num, d.metrics_num, "Generated images per metric evaluation");
  add_given(cmd, "--classifier", g.classifier, "fd-fmnist: classifier weights (default: the committed "
            "models/fashion_mnist_classifier.pt)");
  add_given(cmd, "--inception", g.inception, "fid/kid: a TorchScript Inception such as inception-2015-12-05.pt");
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
    std::cerr << "  skipped " << report.skipped[i].path << ": " << report.skipped[i].reason << "\n";
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
  cmd.add_option("--device", c.device, "cpu, cuda or auto")->capture_default_str();
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
  cmd.add_option("--device", c.device, "cpu, cuda or auto")->capture_default_str();
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

// Runs a handler; bad input of any kind is one line on stderr and kUserError, never a crash.
int guarded(const std::function<ExitCode()>& handler) {
  try {
    return static_cast<int>(handler());
  } catch (const wgan::UserError& e) {
    std::cerr << "error: " << e.what() << std::endl;
  } catch (const c10::Error& e) {
    std::cerr << "error: " << e.what_without_backtrace() << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << std::endl;
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
