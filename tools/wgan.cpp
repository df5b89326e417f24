// wgan: the command-line front end. Parses flags into the config structs and calls the library.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <iostream>

#include "wgan/data/prepare.h"
#include "wgan/dist/launcher.h"
#include "wgan/io/report.h"
#include "wgan/losses/losses.h"
#include "wgan/metrics/eval_command.h"
#include "wgan/metrics/fashion_classifier.h"
#include "wgan/metrics/metric.h"
#include "wgan/toy/toy_gan.h"
#include "wgan/train/sampling.h"
#include "wgan/train/train_command.h"
#include "wgan/util/error.h"

namespace {

std::atomic<bool> g_stop_requested{false};

// Ctrl-C / SIGTERM: ask the training loop to checkpoint and stop; a second one kills at once.
void on_stop_signal(int signal_number) {
  if (g_stop_requested.exchange(true)) {
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
  }
}

void add_train_options(CLI::App& cmd, wgan::TrainCommand& t, std::string& name, uint64_t& steps, double& kimg,
                       double& epochs, int64_t& n_critic, double& lr, double& beta1, double& beta2) {
  auto& c = t.config;
  auto& m = c.model;
  cmd.add_option("--data", c.data, "fashion-mnist (built in, 28x28 padded to 32x32), a DATASET made by `wgan prepare`, "
                 "or a FOLDER of images (prepared once into RUN_DIR/dataset at --resolution, default 64)")
      ->capture_default_str();
  cmd.add_option("--data-dir", c.data_dir, "Folder holding Fashion-MNIST's idx .gz files")->capture_default_str();
  cmd.add_option("--max-images", c.max_images, "Use only the first N images (0 = all)")->capture_default_str();
  cmd.add_flag("--xflip", c.xflip, "Mirror training images left-right at random (doubles the data for faces)");
  cmd.add_option("--arch", m.arch, "Networks: dcgan (any resolution) or seed (the blog post's exact 64x64 RGB)")
      ->capture_default_str();
  cmd.add_option("--resolution", m.resolution, "Image side, power of two 32..256 (default: from the dataset)");
  cmd.add_option("--channels", m.channels, "1 or 3 (default: from the dataset)");
  cmd.add_option("--latent-dim", m.latent_dim, "Size of the latent vector z")->capture_default_str();
  cmd.add_option("--width", m.width, "Channels of the highest-resolution layer (x2 per level, at most x8; "
                 "default 64, on the CPU 32: the best quality per minute there)")
      ->capture_default_str();
  cmd.add_option("--critic-norm", m.critic_norm,
                 "Critic normalisation: layer (WGAN-GP paper), instance, none, batch (the seed's; breaks the "
                 "per-sample penalty)")
      ->capture_default_str();
  cmd.add_option("--loss", c.loss, "wgan-gp, wgan (weight clipping) or gan (non-saturating BCE)")
      ->capture_default_str();
  cmd.add_option("--gp-lambda", c.gp_lambda, "Gradient penalty weight (wgan-gp)")->capture_default_str();
  cmd.add_option("--gp-every", c.gp_every, "Lazy penalty, a speed option: compute the gradient penalty on every "
                 "k-th critic step only, weighted k times (1 = every step, the paper's method)")
      ->capture_default_str();
  cmd.add_option("--clip", c.clip, "Weight clipping bound (wgan)")->capture_default_str();
  cmd.add_option("--batch", c.batch, "Images per critic step and per generator step")->capture_default_str();
  cmd.add_option("--n-critic", n_critic, "Critic steps per generator step (default: wgan-gp 5, wgan 5, gan 1)");
  cmd.add_option("--lr", lr, "Learning rate (default: wgan-gp 1e-4 Adam, 2e-4 on the CPU with its narrower default "
                 "width; wgan 5e-5 RMSprop; gan 2e-4 Adam)");
  cmd.add_option("--beta1", beta1, "Adam beta1 (default: wgan-gp 0, gan 0.5)");
  cmd.add_option("--beta2", beta2, "Adam beta2 (default: wgan-gp 0.9, gan 0.999)");
  cmd.add_option("--ema-kimg", c.ema_kimg, "Half-life of the generator's moving average in kimg (0 = no EMA)")
      ->capture_default_str();
  cmd.add_option("--steps", steps, "Run length in generator steps (the run's total; default 2000)");
  cmd.add_option("--kimg", kimg, "Run length in thousands of real images shown to the critic");
  cmd.add_option("--epochs", epochs, "Run length in passes of the critic over the dataset");
  cmd.add_option("--seed", c.seed, "Seeds weights, noise, data order and the fixed sample z")->capture_default_str();
  cmd.add_option("--threads", c.threads, "CPU threads (0 = all cores)")->capture_default_str();
  cmd.add_option("--device", c.device, "cpu, cuda or auto")->capture_default_str();
  cmd.add_option("--precision", c.precision, "auto, fp32 or bf16. bf16: the networks run under bfloat16 autocast "
                 "while the weights, optimizer, gradient penalty and losses stay float32 (2-3x faster on CPUs with "
                 "avx512_bf16/amx_bf16 and on GPUs of compute capability 8.0+). auto: bf16 where the device has "
                 "native bfloat16, else fp32; config.json records the choice")
      ->capture_default_str();
  cmd.add_flag("--channels-last", c.channels_last, "Keep the networks and batches in NHWC memory (a GPU speed "
               "option; see docs/performance.md for when it pays)");
  cmd.add_option("--gpu-data", c.gpu_data, "Keep the uint8 dataset on the GPU and batch there: auto (when it "
                 "is under 4 GB), on or off")->capture_default_str();
  cmd.add_flag("--cuda-graph", c.cuda_graph, "Record one training iteration as a CUDA graph and replay it: one "
               "launch per iteration instead of thousands (GPU speed option; needs the data on the GPU, "
               "--gp-every 1, Adam, one process)");
  cmd.add_option("--check-every", c.check_every, "Generator steps between reading losses from the device and "
                 "checking them for NaN/Inf (0 = every step on the CPU, every --log-every steps on a GPU, so "
                 "the GPU never waits for the host)")->capture_default_str();
  cmd.add_option("--name", name, "Run name: the run directory is runs/NAME");
  cmd.add_option("--run-dir", c.run_dir, "Run directory (any path; overrides --name)")->capture_default_str();
  cmd.add_option("--log-every", c.log_every, "Generator steps between metrics.jsonl lines")->capture_default_str();
  cmd.add_option("--sample-every", c.sample_every, "Generator steps between sample grids")->capture_default_str();
  cmd.add_option("--checkpoint-every", c.checkpoint_every, "Generator steps between checkpoints (one is always "
                 "written at the end and on Ctrl-C)")->capture_default_str();
  cmd.add_option("--keep-checkpoints", c.keep_checkpoints, "How many of the newest checkpoints to keep")
      ->capture_default_str();
  cmd.add_option("--sample-count", c.sample_count, "Images in each sample grid")->capture_default_str();
  cmd.add_option("--nrow", c.grid_nrow, "Images per grid row")->capture_default_str();
  cmd.add_option("--metrics", c.metrics, "Quality metrics to compute during training, comma-separated (swd, "
                 "fd-fmnist, fid, kid; see `wgan eval`), appended to metrics.jsonl");
  cmd.add_option("--metrics-every", c.metrics_every_kimg, "kimg between metric evaluations (0 = only at the end)")
      ->capture_default_str();
  cmd.add_option("--metrics-num", c.metrics_num, "Generated images per metric evaluation")->capture_default_str();
  cmd.add_option("--classifier", c.classifier, "fd-fmnist: classifier weights (default: the committed "
                 "models/fashion_mnist_classifier.pt)");
  cmd.add_option("--inception", c.inception, "fid/kid: a TorchScript Inception such as inception-2015-12-05.pt");
  int unused_nproc = 0;
  cmd.add_option("--nproc", unused_nproc, "Data-parallel training: start N worker processes on this machine (Gloo on "
                 "CPU, NCCL on GPUs, one GPU per worker); --batch is the total over all workers. Under torchrun or "
                 "Slurm leave it out: WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR, MASTER_PORT are read instead");
  cmd.add_option("--dist-backend", t.dist_backend, "gloo, nccl or auto (nccl for cuda, gloo for cpu)")
      ->capture_default_str();
  cmd.add_option("--dist-timeout", t.dist_timeout_s, "Seconds a rank waits for the others before failing (a dead "
                 "or hung rank)")->capture_default_str();
  cmd.add_flag("--sync-bn", t.sync_bn, "Distributed: compute the generator's BatchNorm statistics over all ranks "
               "(default: per rank, over its share of the batch)");
  cmd.add_option("--resume", t.resume, "Continue a run: its directory (newest readable checkpoint) or a checkpoint "
                 "file; give a longer --steps/--kimg/--epochs to extend it");
  cmd.add_flag("--overwrite", t.overwrite, "Start over in a run directory that already holds a run (deletes its "
               "checkpoints, samples and metrics)");
  cmd.add_flag("--dry-run", t.dry_run, "Print the resolved config as JSON and exit");
  cmd.add_flag("--quiet", t.quiet, "No progress bar");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wgan: train Wasserstein GANs with gradient penalty on images, and sample from them"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Help for every command");

  // train
  wgan::TrainCommand train;
  std::string name;
  uint64_t steps = 0;
  double kimg = 0, epochs = 0, lr = 0, beta1 = 0, beta2 = 0;
  int64_t n_critic = 0;
  auto* train_cmd = app.add_subcommand("train", "Train a generator (default: WGAN-GP on Fashion-MNIST)");
  add_train_options(*train_cmd, train, name, steps, kimg, epochs, n_critic, lr, beta1, beta2);

  // prepare
  wgan::PrepareConfig prepare;
  std::string crop = "center";
  auto* prepare_cmd = app.add_subcommand("prepare", "Pack a folder of images into a training dataset (once, fast)");
  prepare_cmd->add_option("source", prepare.source, "Folder of images (searched recursively; JPEG, PNG, BMP, WebP, TIFF)")
      ->required();
  prepare_cmd->add_option("--out", prepare.out, "Dataset folder to write (images.npy + manifest.json)")->required();
  prepare_cmd->add_option("--preset", prepare.preset,
                          "celeba (centred 140x140 box of the aligned 178x218 faces, then 64), anime (centre crop, 64), "
                          "flowers (centre crop, 64); sets crop and resolution");
  prepare_cmd->add_option("--resolution", prepare.fit.resolution, "Output side, a power of two 32..256")
      ->capture_default_str();
  prepare_cmd->add_option("--channels", prepare.fit.channels, "1 (gray) or 3 (RGB)")->capture_default_str();
  prepare_cmd->add_option("--crop", crop, "center (largest centred square), none (squash), or WxH (a centred box)")
      ->capture_default_str();
  prepare_cmd->add_option("--min-side", prepare.fit.min_side, "Skip images whose smaller side is below this")
      ->capture_default_str();
  prepare_cmd->add_option("--max-pixels", prepare.fit.max_pixels,
                          "Skip images whose header declares more pixels (decompression bombs)")
      ->capture_default_str();
  prepare_cmd->add_option("--max-images", prepare.max_images, "Only the first N image files in path order (0 = all)")
      ->capture_default_str();
  prepare_cmd->add_option("--threads", prepare.threads, "Decoding threads (0 = all cores)")->capture_default_str();
  prepare_cmd->add_flag("--strict", prepare.strict, "Fail (and write nothing) when any file is skipped");
  prepare_cmd->add_flag("--quiet", prepare.quiet, "No progress bar");

  // sample
  wgan::SampleConfig sample;
  bool no_ema = false;
  auto* sample_cmd = app.add_subcommand("sample", "Generate images from a checkpoint");
  sample_cmd->add_option("--checkpoint", sample.checkpoint, "Checkpoint file, or a run directory (its newest)")
      ->required();
  sample_cmd->add_option("--num", sample.num, "How many images")->capture_default_str();
  sample_cmd->add_option("--out", sample.out_dir, "Write one PNG per image into this folder");
  sample_cmd->add_option("--grid", sample.grid, "Write one grid PNG (the default, samples.png)");
  sample_cmd->add_option("--nrow", sample.nrow, "Images per grid row")->capture_default_str();
  sample_cmd->add_option("--seed", sample.seed, "Latent seed: the same seed gives the same images")
      ->capture_default_str();
  sample_cmd->add_flag("--no-ema", no_ema, "Use the raw generator instead of its moving average");
  sample_cmd->add_option("--device", sample.device, "cpu, cuda or auto")->capture_default_str();
  sample_cmd->add_option("--arch", sample.arch,
                         "seed: --checkpoint is the blog post's own G.ckpt (torch.save(G.state_dict()))");
  sample_cmd->add_option("--interpolate", sample.interpolate,
                         "SEED_A,SEED_B: a strip walking the latent sphere from seed A's z to seed B's (slerp)");
  sample_cmd->add_option("--steps", sample.steps, "Images along --interpolate, both ends included")
      ->capture_default_str();

  // export
  std::string export_checkpoint, export_to;
  bool export_no_ema = false;
  auto* export_cmd = app.add_subcommand("export", "Write the generator as a PyTorch state dict (torch.load reads it)");
  export_cmd->add_option("--checkpoint", export_checkpoint, "Checkpoint file, or a run directory (its newest)")
      ->required();
  export_cmd->add_option("--to", export_to, "Output .pt file")->required();
  export_cmd->add_flag("--no-ema", export_no_ema, "Export the raw generator instead of its moving average");

  // report
  std::string report_dir;
  auto* report_cmd = app.add_subcommand("report", "Rebuild RUN_DIR/report.html (curves, grids, config) from its files");
  report_cmd->add_option("run_dir", report_dir, "Run directory")->required();

  // classifier
  wgan::ClassifierTrainOptions classifier;
  classifier.out = "models/fashion_mnist_classifier.pt";
  auto* classifier_cmd = app.add_subcommand(
      "classifier", "Train the Fashion-MNIST classifier whose features the fd-fmnist metric uses (the committed "
                    "models/fashion_mnist_classifier.pt was made by this command with its defaults)");
  classifier_cmd->add_option("--out", classifier.out, "Weights file to write")->capture_default_str();
  classifier_cmd->add_option("--data-dir", classifier.data_dir, "Folder holding Fashion-MNIST's idx .gz files")
      ->capture_default_str();
  classifier_cmd->add_option("--epochs", classifier.epochs, "Passes over the 60k training images")->capture_default_str();
  classifier_cmd->add_option("--batch", classifier.batch, "Images per step")->capture_default_str();
  classifier_cmd->add_option("--lr", classifier.lr, "Adam learning rate (x0.1 for the last fifth of the epochs)")
      ->capture_default_str();
  classifier_cmd->add_option("--seed", classifier.seed, "Seeds weights, order and flips")->capture_default_str();
  classifier_cmd->add_option("--threads", classifier.threads, "CPU threads (0 = all cores)")->capture_default_str();
  classifier_cmd->add_option("--max-images", classifier.max_images, "Train on the first N images only (0 = all)")
      ->capture_default_str();

  // toy
  wgan::ToyConfig toy;
  auto* toy_cmd = app.add_subcommand("toy", "The WGAN-GP paper's 2-D experiments: mode coverage and the critic's "
                                            "contours on 8gaussians, 25gaussians or swissroll");
  toy_cmd->add_option("--dataset", toy.dataset, "8gaussians, 25gaussians or swissroll")->capture_default_str();
  toy_cmd->add_option("--loss", toy.loss, "wgan-gp, wgan (clipping) or gan, for contrast")->capture_default_str();
  bool toy_paper = false;
  toy_cmd->add_flag("--paper", toy_paper, "The paper's settings instead of the fast defaults: --hidden 512, its "
                    "learning rate (Adam 1e-4) held constant, 20000 steps (about 100 minutes on a 2-core CPU); "
                    "flags given with it still apply");
  auto* toy_steps = toy_cmd->add_option("--steps", toy.steps, "Generator iterations (the paper runs 100000)")
                        ->capture_default_str();
  toy_cmd->add_option("--batch", toy.batch, "Points per step")->capture_default_str();
  toy_cmd->add_option("--n-critic", toy.n_critic, "Critic steps per generator step")->capture_default_str();
  auto* toy_hidden = toy_cmd->add_option("--hidden", toy.hidden, "Units in each of the 3 hidden layers")->capture_default_str();
  toy_cmd->add_option("--gp-lambda", toy.gp_lambda, "Gradient penalty weight (the paper's toy value)")
      ->capture_default_str();
  toy_cmd->add_option("--ema", toy.ema, "Metrics and picture use a moving average of the generator's weights "
                      "with this decay per step (0 = the raw generator; both are logged)")->capture_default_str();
  auto* toy_lr = toy_cmd->add_option("--lr", toy.lr, "Learning rate (0 = the paper's: Adam 1e-4, betas 0.5/0.9; wgan: RMSprop 5e-5)")
      ->capture_default_str();
  auto* toy_decay = toy_cmd->add_option("--lr-decay-from", toy.lr_decay_from, "From this fraction of --steps on, the learning rate "
                      "falls linearly to 0 at the last step (1 = constant, the paper's)")
      ->capture_default_str();
  toy_cmd->add_option("--eval-every", toy.eval_every, "Generator steps between metric lines and pictures")
      ->capture_default_str();
  toy_cmd->add_option("--eval-samples", toy.eval_samples, "Samples the mode metrics use")->capture_default_str();
  toy_cmd->add_option("--stop-at-quality", toy.stop_at_quality,
                      "Stop once every mode is covered and this share of samples is high quality (0 = run all steps)")
      ->capture_default_str();
  toy_cmd->add_option("--seed", toy.seed, "Seeds weights, data and noise")->capture_default_str();
  toy_cmd->add_option("--threads", toy.threads, "CPU threads (0 = all cores)")->capture_default_str();
  toy_cmd->add_option("--out", toy.out, "Folder for metrics.jsonl and DATASET.png")->capture_default_str();
  toy_cmd->add_flag("--quiet", toy.quiet, "No progress bar");

  // eval
  wgan::EvalConfig eval;
  bool eval_no_ema = false;
  std::string metric_help = "Comma-separated metrics (default: swd,fd-fmnist on Fashion-MNIST, swd otherwise):";
  for (const auto& info : wgan::metric_registry()) metric_help += "\n  " + info.name + ": " + info.description;
  auto* eval_cmd = app.add_subcommand("eval", "Measure a trained generator's quality (SWD, Fashion-MNIST classifier "
                                              "distance, FID/KID with your Inception); prints one JSON line");
  eval_cmd->add_option("--checkpoint", eval.checkpoint, "Checkpoint file, or a run directory (its newest)")->required();
  eval_cmd->add_option("--metrics", eval.metrics, metric_help);
  eval_cmd->add_option("--data", eval.data, "Real images: fashion-mnist (its 10k test split) or a DATASET/FOLDER "
                       "(default: the run's --data)");
  eval_cmd->add_option("--data-dir", eval.data_dir, "Folder holding Fashion-MNIST's idx .gz files (default: the run's)");
  eval_cmd->add_option("--num", eval.num, "Generated images (SWD, FID and KID compare as many real ones)")
      ->capture_default_str();
  eval_cmd->add_option("--seed", eval.seed, "Seeds latents, patches, directions and KID subsets")->capture_default_str();
  eval_cmd->add_flag("--no-ema", eval_no_ema, "Evaluate the raw generator instead of its moving average");
  eval_cmd->add_option("--device", eval.device, "cpu, cuda or auto")->capture_default_str();
  eval_cmd->add_option("--classifier", eval.classifier, "fd-fmnist weights (default: the committed "
                       "models/fashion_mnist_classifier.pt, made by `wgan classifier`)");
  eval_cmd->add_option("--inception", eval.inception, "fid/kid: a TorchScript Inception called as "
                       "net(images_0_255, return_features=True), e.g. StyleGAN2-ADA's inception-2015-12-05.pt");
  eval_cmd->add_option("--out", eval.out, "Also append the JSON line to this file");
  eval_cmd->add_option("--threads", eval.threads, "CPU threads (0 = all cores)")->capture_default_str();

  // --nproc N: this process becomes a launcher of N workers running the same command.
  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && args[0] == "train") {
      const int nproc = wgan::take_nproc_flag(args);
      const bool help = std::find(args.begin(), args.end(), "--help") != args.end() ||
                        std::find(args.begin(), args.end(), "-h") != args.end();
      if (nproc > 0 && !help) return wgan::run_local_workers(nproc, args);
    }
  } catch (const wgan::UserError& e) {
    std::cerr << "error: " << e.what() << std::endl;
    return 1;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    if (*train_cmd) {
      for (const auto* opt : train_cmd->get_options()) {
        if (opt->count() > 0 && !opt->get_name().empty()) {
          // get_name() is the long form ("--width"); record what the user set explicitly.
          train.given_flags.insert(opt->get_name(false, true).substr(0, opt->get_name(false, true).find(',')));
        }
      }
      if (train_cmd->count("--steps")) train.config.steps = static_cast<int64_t>(steps);
      if (train_cmd->count("--kimg")) train.config.kimg = kimg;
      if (train_cmd->count("--epochs")) train.config.epochs = epochs;
      if (train_cmd->count("--n-critic")) train.config.n_critic = n_critic;
      if (train_cmd->count("--lr")) train.config.lr = lr;
      if (train_cmd->count("--beta1")) train.config.beta1 = beta1;
      if (train_cmd->count("--beta2")) train.config.beta2 = beta2;
      if (train_cmd->count("--name") && !train_cmd->count("--run-dir")) train.config.run_dir = "runs/" + name;
      std::signal(SIGINT, on_stop_signal);
      std::signal(SIGTERM, on_stop_signal);
      return static_cast<int>(wgan::run_train(train, &g_stop_requested));
    }
    if (*prepare_cmd) {
      if (crop != "center" && crop != "none") {
        const auto x = crop.find('x');
        try {
          if (x == std::string::npos) throw std::invalid_argument(crop);
          prepare.fit.crop_w = std::stoll(crop.substr(0, x));
          prepare.fit.crop_h = std::stoll(crop.substr(x + 1));
        } catch (const std::exception&) {
          throw wgan::UserError("--crop '" + crop + "' must be center, none, or WxH such as 140x140");
        }
        crop = "box";
      }
      prepare.fit.crop = crop;
      const auto report = wgan::run_prepare(prepare);
      std::cerr << "prepared " << report.kept << " images into " << prepare.out << " in "
                << static_cast<int64_t>(report.seconds) << " s; skipped " << report.skipped.size() << "\n";
      const size_t shown = std::min<size_t>(report.skipped.size(), 20);
      for (size_t i = 0; i < shown; ++i) {
        std::cerr << "  skipped " << report.skipped[i].path << ": " << report.skipped[i].reason << "\n";
      }
      if (report.skipped.size() > shown) std::cerr << "  ... all reasons are in " << prepare.out << "/manifest.json\n";
      return 0;
    }
    if (*export_cmd) {
      wgan::export_generator(export_checkpoint, !export_no_ema, export_to);
      std::cout << export_to << "\n";
      return 0;
    }
    if (*classifier_cmd) {
      const double accuracy = wgan::train_fashion_classifier(classifier);
      std::cout << classifier.out << ": test accuracy " << accuracy << "\n";
      return 0;
    }
    if (*eval_cmd) {
      eval.use_ema = !eval_no_ema;
      std::cout << wgan::run_eval(eval).dump() << std::endl;
      return 0;
    }
    if (*toy_cmd) {
      std::signal(SIGINT, on_stop_signal);
      std::signal(SIGTERM, on_stop_signal);
      if (toy_paper) {
        const auto paper = wgan::paper_toy_config();
        if (toy_steps->count() == 0) toy.steps = paper.steps;
        if (toy_hidden->count() == 0) toy.hidden = paper.hidden;
        if (toy_lr->count() == 0) toy.lr = paper.lr;
        if (toy_decay->count() == 0) toy.lr_decay_from = paper.lr_decay_from;
      }
      const auto result = wgan::run_toy(toy, &g_stop_requested);
      std::cout << "step " << result.steps;
      if (result.metrics.modes > 0)
        std::cout << ": modes covered " << result.metrics.modes_covered << "/" << result.metrics.modes
                  << ", high quality " << result.metrics.high_quality << ", KL to uniform "
                  << result.metrics.kl_to_uniform;
      std::cout << "\npicture: " << result.picture << "\n";
      return static_cast<int>(g_stop_requested ? wgan::TrainExit::kInterrupted : wgan::TrainExit::kFinished);
    }
    if (*report_cmd) {
      std::cout << wgan::write_report(report_dir) << "\n";
      return 0;
    }
    if (*sample_cmd) {
      sample.use_ema = !no_ema;
      for (const auto& path : wgan::run_sample(sample)) std::cout << path << "\n";
      return 0;
    }
  } catch (const wgan::UserError& e) {
    std::cerr << "error: " << e.what() << std::endl;
    return 1;
  } catch (const c10::Error& e) {
    std::cerr << "error: " << e.what_without_backtrace() << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
