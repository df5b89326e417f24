// End-to-end checks of the `wgan` executable: bad input gives a one-line error naming the flag or
// path and a non-zero exit; SIGTERM writes a checkpoint; sample writes deterministic PNGs.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "wgan/io/image_grid.h"
#include "wgan/io/torch_pickle.h"
#include "wgan/run/checkpoint.h"
#include "wgan/util/atomic_file.h"
#include "../support/run_cli.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

using test_support::run_cli;

std::string temp_dir(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("wgan_cli_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir.string();
}

const bool kHaveFashionMnist = fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");

void expect_error(const std::string& args, const std::string& mention) {
  auto r = run_cli(args);
  EXPECT_NE(r.code, 0) << args;
  EXPECT_NE(r.output.find(mention), std::string::npos) << args << "\n" << r.output;
  EXPECT_EQ(r.output.find("terminate called"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("Segmentation"), std::string::npos) << r.output;
}

TEST(Cli, BadFlagsNameTheFlag) {
  const auto dir = temp_dir("bad");
  expect_error("train --batch 0 --run-dir " + dir, "--batch");
  expect_error("train --resolution 48 --run-dir " + dir, "--resolution");
  expect_error("train --loss hinge --run-dir " + dir, "--loss");
  expect_error("train --critic-norm spectral --run-dir " + dir, "--critic-norm");
  expect_error("train --device tpu --run-dir " + dir, "--device");
  expect_error("train --no-such-flag", "--no-such-flag");
  expect_error("train --data-dir /nonexistent --run-dir " + dir, "dataset-fashion-mnist");
  expect_error("sample --checkpoint /nonexistent.pt", "/nonexistent.pt");
  EXPECT_FALSE(fs::exists(dir)) << "a failed start left a run directory behind";
}

// The option table (train_options.def, model_options.def) and the CLI's flags are two files: every
// option of the table must be a flag of `wgan train`.
TEST(Cli, EveryTrainOptionOfTheTableIsAFlag) {
  auto help = run_cli("train --help");
  ASSERT_EQ(help.code, 0) << help.output;
  for (const auto& flag : train_option_flags())
    EXPECT_NE(help.output.find("  " + flag + " "), std::string::npos) << flag << " is in the table but not a flag";
  // And an unknown flag is a usage error (exit 2) that names it.
  auto bad = run_cli("train --no-such-flag");
  EXPECT_EQ(bad.code, 2) << bad.output;
  EXPECT_NE(bad.output.find("--no-such-flag"), std::string::npos) << bad.output;
}

TEST(Cli, UnwritableRunDirIsAnError) {
  if (!kHaveFashionMnist) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  expect_error("train --steps 1 --run-dir /proc/wgan-run", "/proc/wgan-run");
}

TEST(Cli, TruncatedCheckpointIsAnErrorAndUntouched) {
  const auto dir = temp_dir("trunc");
  fs::create_directories(dir);
  const auto file = dir + "/ckpt.pt";
  write_file_atomic(file, std::string(1000, 'x'));
  expect_error("sample --checkpoint " + file, file);
  expect_error("train --resume " + file, file);
  EXPECT_EQ(fs::file_size(file), 1000u);
  fs::remove_all(dir);
}

TEST(Cli, DryRunPrintsTheResolvedConfig) {
  if (!kHaveFashionMnist) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  auto r = run_cli("train --dry-run --loss gan --run-dir " + temp_dir("dry"));
  ASSERT_EQ(r.code, 0) << r.output;
  auto config = nlohmann::json::parse(r.output);
  EXPECT_EQ(config["n_critic"].get<int64_t>(), 1);
  EXPECT_NEAR(config["beta1"].get<double>(), 0.5, 1e-12);
  EXPECT_EQ(config["model"]["resolution"].get<int64_t>(), 32);
}

TEST(Cli, SigtermCheckpointsThenResumeAndSample) {
  if (!kHaveFashionMnist) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const auto dir = temp_dir("sigterm");
  const std::string args = "train --max-images 512 --width 8 --batch 16 --steps 100000 --threads 1 --quiet "
                           "--checkpoint-every 100000 --run-dir " + dir;
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", ("exec " + std::string(WGAN_CLI_PATH) + " " + args + " 2>/dev/null").c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait until training has started (metrics appear), then ask it to stop.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(fs::path(dir) / "metrics.jsonl") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by the signal instead of stopping cleanly";
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const auto checkpoints = list_checkpoints(dir);
  ASSERT_EQ(checkpoints.size(), 1u);
  CheckpointReader reader(checkpoints.front());
  const int64_t stopped_at = reader.state().step;
  EXPECT_GT(stopped_at, 0);

  // The same run continues from there to a new total; flags the checkpoint fixes are refused.
  expect_error("train --resume " + dir + " --width 16", "--width");
  auto resumed = run_cli("train --resume " + dir + " --quiet --threads 1 --steps " + std::to_string(stopped_at + 2));
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_EQ(CheckpointReader(list_checkpoints(dir).front()).state().step, stopped_at + 2);
  // Starting a new run over it is refused without --overwrite.
  expect_error("train --steps 1 --run-dir " + dir, "--overwrite");

  // Sampling: a grid, and N files, deterministic for a seed.
  const auto grid_a = dir + "/a.png", grid_b = dir + "/b.png";
  ASSERT_EQ(run_cli("sample --checkpoint " + dir + " --num 16 --seed 3 --grid " + grid_a).code, 0);
  ASSERT_EQ(run_cli("sample --checkpoint " + dir + " --num 16 --seed 3 --grid " + grid_b).code, 0);
  EXPECT_EQ(read_file(grid_a), read_file(grid_b));
  auto files = run_cli("sample --checkpoint " + dir + " --num 3 --no-ema --out " + dir + "/many");
  ASSERT_EQ(files.code, 0) << files.output;
  EXPECT_TRUE(fs::exists(dir + "/many/000002.png"));
  // A latent interpolation strip, and the report that training wrote.
  auto strip = run_cli("sample --checkpoint " + dir + " --interpolate 3,9 --steps 5 --grid " + dir + "/strip.png");
  ASSERT_EQ(strip.code, 0) << strip.output;
  EXPECT_TRUE(fs::exists(dir + "/strip.png"));
  expect_error("sample --checkpoint " + dir + " --interpolate 3 --grid " + dir + "/bad.png", "--interpolate");
  EXPECT_TRUE(fs::exists(dir + "/report.html"));
  // Export: a PyTorch state dict with the generator's names, readable again.
  ASSERT_EQ(run_cli("export --checkpoint " + dir + " --to " + dir + "/G.pt").code, 0);
  auto exported = load_torch_file(dir + "/G.pt");
  ASSERT_FALSE(exported.empty());
  EXPECT_EQ(exported.front().first.rfind("body.", 0), 0u) << exported.front().first;
  ASSERT_EQ(run_cli("report " + dir).code, 0);
  fs::remove_all(dir);
}

// The blog post's own use: its networks on a folder of 64x64 colour images, prepared or not, with
// --dry-run and --resume; the shape comes from the data, not from flags the user must repeat.
TEST(Cli, BlogNetworksTakeTheirShapeFromTheData) {
  const auto dir = temp_dir("seedarch");
  torch::manual_seed(2);
  fs::create_directories(dir + "/imgs");
  for (int i = 0; i < 6; ++i)
    write_png(dir + "/imgs/" + std::to_string(i) + ".png", torch::randint(0, 256, {64, 64, 3}, torch::kUInt8));
  auto prepared = run_cli("prepare " + dir + "/imgs --out " + dir + "/ds --resolution 64 --quiet");
  ASSERT_EQ(prepared.code, 0) << prepared.output;
  auto dry = run_cli("train --arch seed --data " + dir + "/ds --dry-run --run-dir " + dir + "/dry");
  ASSERT_EQ(dry.code, 0) << dry.output;
  EXPECT_NE(dry.output.find("\"arch\": \"blog\""), std::string::npos) << dry.output;  // seed is blog's old name
  auto folder = run_cli("train --arch blog --data " + dir + "/imgs --dry-run --run-dir " + dir + "/folder");
  ASSERT_EQ(folder.code, 0) << folder.output;
  const std::string run = " --run-dir " + dir + "/run --quiet --threads 2";
  auto trained = run_cli("train --arch seed --data " + dir + "/ds --steps 1 --batch 4 --n-critic 1" + run);
  ASSERT_EQ(trained.code, 0) << trained.output;
  auto resumed = run_cli("train --resume " + dir + "/run --steps 2 --quiet --threads 2");
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_EQ(CheckpointReader(list_checkpoints(dir + "/run").front()).state().step, 2);
  // On data of another shape the error says what the data is and what to do.
  if (kHaveFashionMnist)
    expect_error("train --arch seed --dry-run --run-dir " + dir + "/fmnist",
                 "64x64 RGB images, but the images are 32x32");
  fs::remove_all(dir);
}

// --quiet drops the progress bar, not the status lines: the start line and, on SIGTERM, where the
// checkpoint went.
TEST(Cli, QuietStillSaysWhereTheInterruptCheckpointWent) {
  if (!kHaveFashionMnist) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const auto dir = temp_dir("quiet");
  fs::create_directories(dir);
  const std::string log = dir + "/stderr.log";
  const std::string args = "train --max-images 512 --width 8 --batch 16 --steps 100000 --threads 1 --quiet "
                           "--sample-every 100000 --checkpoint-every 100000 --run-dir " + dir + "/run";
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", ("exec " + std::string(WGAN_CLI_PATH) + " " + args + " 2>" + log).c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(fs::path(dir) / "run" / "metrics.jsonl") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const auto text = read_file(log);
  EXPECT_NE(text.find("training wgan-gp on"), std::string::npos) << text;
  EXPECT_NE(text.find("checkpoint written to " + dir + "/run/checkpoints/ckpt-"), std::string::npos) << text;
  EXPECT_EQ(text.find("train ["), std::string::npos) << "--quiet showed the progress bar:\n" << text;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace wgan
