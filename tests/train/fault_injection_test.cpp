// Fault injection through every writer of the `wgan` program (WGAN_FAULT, see atomic_file.h): a
// failed write of a checkpoint, grid, metrics line, report, config, dataset, export, sample or eval
// line is exit code 1 with a message naming the file and the reason, leaves no temporary file,
// and leaves the previous file intact and loadable. Also: a real full disk (a small tmpfs), and
// kill -9 at random moments resumes to the same weights with one metrics line per step.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <random>
#include <sstream>
#include <set>
#include <thread>

#include "wgan/data/training_data.h"
#include "wgan/io/torch_pickle.h"
#include "wgan/models/networks.h"
#include "wgan/run/checkpoint.h"
#include "wgan/util/atomic_file.h"
#include "../support/run_cli.h"
#include "../support/same_weights.h"
#include "../support/train_fixtures.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

using test_support::run_cli;

const bool kHaveFashionMnist = fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");

// A tiny run on 256 Fashion-MNIST images: a checkpoint, a grid and a report every 2 steps.
const std::string kTinyRun = "train --max-images 256 --width 8 --batch 16 --log-every 1 --sample-every 2 "
                             "--checkpoint-every 2 --keep-checkpoints 5 --threads 1 --quiet";

std::vector<std::string> temp_files_under(const std::string& dir) {
  std::vector<std::string> found;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.path().filename().string().find(".tmp.") != std::string::npos) found.push_back(entry.path().string());
  return found;
}

// The failed command's contract: exit 1, one error naming the file and the reason, no crash,
// no temporary file left in `dir`.
void expect_clean_failure(const test_support::CliResult& r, const std::string& file, const std::string& reason,
                          const std::string& dir) {
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("error: cannot write "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(file), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(reason), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("terminate called"), std::string::npos) << r.output;
  EXPECT_TRUE(temp_files_under(dir).empty()) << temp_files_under(dir).front();
}

class FaultInjection : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!kHaveFashionMnist) GTEST_SKIP() << "dataset-fashion-mnist not installed";
    dir_ = test_support::fresh_dir("faults");
    run_ = dir_ + "/run";
  }
  void TearDown() override {
    if (!mounted_.empty()) ::umount(mounted_.c_str());
    fs::remove_all(dir_);
  }
  // Trains the tiny run to `steps` (a new run, or resumed when it exists).
  void train_to(int steps) {
    const bool exists = fs::exists(run_ + "/checkpoints");
    auto r = run_cli(exists ? "train --resume " + run_ + " --steps " + std::to_string(steps) + " --quiet --threads 1"
                            : kTinyRun + " --steps " + std::to_string(steps) + " --run-dir " + run_);
    ASSERT_EQ(r.code, 0) << r.output;
  }
  std::string resume(int steps) { return "train --resume " + run_ + " --steps " + std::to_string(steps) + " --quiet --threads 1"; }
  std::string dir_, run_;
  std::string mounted_;  // a tmpfs mounted by the test, unmounted in TearDown whatever happened
};

TEST_F(FaultInjection, AFailedCheckpointNamesTheNewestGoodOneAndHowToResume) {
  train_to(2);
  const std::string good = run_ + "/checkpoints/ckpt-00000002.pt";
  const std::string before = read_file(good);
  auto r = run_cli(resume(6), "WGAN_FAULT=ENOSPC:ckpt-");
  expect_clean_failure(r, run_ + "/checkpoints/ckpt-00000004.pt", "No space left on device", dir_);
  EXPECT_NE(r.output.find("newest good checkpoint is " + good), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("wgan train --resume " + run_), std::string::npos) << r.output;
  EXPECT_EQ(read_file(good), before);
  EXPECT_EQ(CheckpointReader(good).state().step, 2);
  EXPECT_FALSE(fs::exists(run_ + "/checkpoints/ckpt-00000004.pt"));
  // Once the disk is fine again, the run continues from it to the end.
  train_to(6);
  EXPECT_EQ(CheckpointReader(run_ + "/checkpoints/ckpt-00000006.pt").state().step, 6);
}

TEST_F(FaultInjection, AFailedGridStopsTheRunAfterWritingTheCheckpoint) {
  train_to(2);
  const std::string grid = run_ + "/samples/000002.png";
  const std::string before = read_file(grid);
  auto r = run_cli(resume(6), "WGAN_FAULT=EIO:samples/");
  expect_clean_failure(r, run_ + "/samples/000004.png", "Input/output error", dir_);
  // The weights of step 4 were kept although the picture was lost, and the message says so.
  const std::string saved = run_ + "/checkpoints/ckpt-00000004.pt";
  EXPECT_EQ(CheckpointReader(saved).state().step, 4);
  EXPECT_NE(r.output.find("newest good checkpoint is " + saved), std::string::npos) << r.output;
  EXPECT_EQ(read_file(grid), before);
}

TEST_F(FaultInjection, AFailedMetricsLineLeavesTheLogWhole) {
  train_to(2);
  const std::string log = run_ + "/metrics.jsonl";
  const std::string before = read_file(log);
  auto r = run_cli(resume(6), "WGAN_FAULT=EROFS:metrics.jsonl");
  expect_clean_failure(r, log, "Read-only file system", dir_);
  EXPECT_EQ(read_file(log), before);
  EXPECT_TRUE(fs::exists(run_ + "/checkpoints/ckpt-00000003.pt")) << "no checkpoint before stopping";
}

TEST_F(FaultInjection, AFailedReportOrConfigLeavesThePreviousOne) {
  train_to(2);
  const std::string report = run_ + "/report.html", config = run_ + "/config.json";
  const std::string report_before = read_file(report), config_before = read_file(config);
  auto r = run_cli(resume(6), "WGAN_FAULT=EACCES:report.html");
  expect_clean_failure(r, report, "Permission denied", dir_);
  EXPECT_EQ(read_file(report), report_before);
  const std::string config_written = read_file(config);  // that run did write its config
  auto c = run_cli(resume(6), "WGAN_FAULT=ENOSPC:config.json");
  expect_clean_failure(c, config, "No space left on device", dir_);
  EXPECT_EQ(read_file(config), config_written);
  EXPECT_NE(config_written, config_before);  // --steps 6 was recorded, so the comparison above means something
  EXPECT_NE(c.output.find("newest good checkpoint is"), std::string::npos) << c.output;
}

TEST_F(FaultInjection, PrepareKeepsThePreviousDatasetWhole) {
  fs::create_directories(dir_ + "/imgs");
  // Source images: the sample grids of a tiny run are real PNGs.
  train_to(4);
  for (const auto& entry : fs::directory_iterator(run_ + "/samples")) fs::copy(entry.path(), dir_ + "/imgs");
  const std::string out = dir_ + "/ds";
  auto first = run_cli("prepare " + dir_ + "/imgs --out " + out + " --resolution 32 --quiet");
  ASSERT_EQ(first.code, 0) << first.output;
  const auto count = load_prepared_dataset(out).size();
  ASSERT_GT(count, 0);
  const std::string array_before = read_file(out + "/images.npy"), manifest_before = read_file(out + "/manifest.json");
  // More images now; the disk fills in the middle of the array, then (another try) at the manifest.
  fs::copy(run_ + "/samples/000002.png", dir_ + "/imgs/extra.png");
  for (const std::string& fault : {"ENOSPC@2000:images.npy", "EIO:manifest.json"}) {
    auto r = run_cli("prepare " + dir_ + "/imgs --out " + out + " --resolution 32 --quiet", "WGAN_FAULT=" + fault);
    expect_clean_failure(r, fault.find("manifest") != std::string::npos ? out + "/manifest.json" : out + "/images.npy",
                         fault[1] == 'N' ? "No space left on device" : "Input/output error", dir_);
    EXPECT_EQ(read_file(out + "/images.npy"), array_before) << fault;
    EXPECT_EQ(read_file(out + "/manifest.json"), manifest_before) << fault;
    EXPECT_EQ(load_prepared_dataset(out).size(), count) << fault;
  }
}

TEST_F(FaultInjection, SampleExportAndEvalKeepThePreviousFiles) {
  train_to(2);
  const std::string grid = dir_ + "/grid.png", exported = dir_ + "/G.pt", log = dir_ + "/eval.jsonl";
  ASSERT_EQ(run_cli("sample --checkpoint " + run_ + " --num 4 --grid " + grid).code, 0);
  ASSERT_EQ(run_cli("export --checkpoint " + run_ + " --to " + exported).code, 0);
  ASSERT_EQ(run_cli("eval --checkpoint " + run_ + " --num 64 --metrics swd --out " + log).code, 0);
  const std::string grid_before = read_file(grid), export_before = read_file(exported), log_before = read_file(log);

  expect_clean_failure(run_cli("sample --checkpoint " + run_ + " --num 4 --grid " + grid, "WGAN_FAULT=ENOSPC:grid.png"),
                       grid, "No space left on device", dir_);
  EXPECT_EQ(read_file(grid), grid_before);
  fs::create_directories(dir_ + "/many");
  expect_clean_failure(run_cli("sample --checkpoint " + run_ + " --num 4 --out " + dir_ + "/many",
                               "WGAN_FAULT=ENOSPC#3:many/"),
                       dir_ + "/many/", "No space left on device", dir_);
  expect_clean_failure(run_cli("export --checkpoint " + run_ + " --to " + exported, "WGAN_FAULT=EIO:G.pt"), exported,
                       "Input/output error", dir_);
  EXPECT_EQ(read_file(exported), export_before);
  EXPECT_FALSE(load_torch_file(exported).empty());
  expect_clean_failure(run_cli("eval --checkpoint " + run_ + " --num 64 --metrics swd --out " + log,
                               "WGAN_FAULT=ENOSPC:eval.jsonl"),
                       log, "No space left on device", dir_);
  EXPECT_EQ(read_file(log), log_before);
}

TEST_F(FaultInjection, ToyWritesFailCleanly) {
  const std::string out = dir_ + "/toy";
  auto r = run_cli("toy --steps 20 --eval-every 10 --eval-samples 200 --hidden 16 --threads 1 --quiet --out " + out,
                   "WGAN_FAULT=ENOSPC:8gaussians.png");
  expect_clean_failure(r, out + "/8gaussians.png", "No space left on device", dir_);
}

TEST_F(FaultInjection, TemporaryFilesOfCrashedRunsAreRemovedAtStart) {
  train_to(2);
  const pid_t child = ::fork();  // an exited, reaped child: a pid that is not running
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);
  const std::string left = run_ + "/checkpoints/ckpt-00000045.pt.tmp." + std::to_string(child);
  write_file_atomic(left, std::string(676000, 'x'));
  auto r = run_cli(resume(3));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("removed 1 temporary file(s) (0.7 MB) that crashed runs left in " + run_),
            std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(left));
}

// The issue's own report: a run directory on a 3 MB disk. The run must stop with exit 1 and a
// clear message, never abort, and leave no temporary file filling the disk.
TEST_F(FaultInjection, ARealFullDiskIsAClearErrorNotAnAbort) {
  const std::string mount_point = dir_ + "/small";
  fs::create_directories(mount_point);
  if (::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=3m") != 0)
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): " << std::strerror(errno);
  mounted_ = mount_point;
  const std::string run = mount_point + "/run";
  auto r = run_cli("train --max-images 256 --width 16 --batch 16 --steps 200 --checkpoint-every 15 "
                   "--sample-every 15 --threads 2 --quiet --run-dir " + run);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("No space left on device"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("newest good checkpoint is " + run + "/checkpoints/ckpt-00000015.pt"), std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("terminate called"), std::string::npos) << r.output;
  EXPECT_TRUE(temp_files_under(run).empty());
  EXPECT_EQ(CheckpointReader(run + "/checkpoints/ckpt-00000015.pt").state().step, 15);
}

// kill -9 at random moments, each time resumed: the same weights as an uninterrupted run, and
// metrics.jsonl holds each step once.
TEST_F(FaultInjection, KillNineAnywhereThenResumeGivesTheSameRun) {
  const int steps = 90;  // about 2 s after a 1 s start on 2 cores
  const std::string args = "train --max-images 256 --width 8 --batch 16 --log-every 1 --sample-every 4 "
                           "--checkpoint-every 3 --threads 1 --quiet --precision fp32 --steps " + std::to_string(steps);
  const std::string straight = dir_ + "/straight";
  ASSERT_EQ(run_cli(args + " --run-dir " + straight).code, 0);

  std::mt19937 rng(12345);
  bool finished = false;
  int kills = 0;
  for (int attempt = 0; attempt < 12 && !finished; ++attempt) {
    const bool started = fs::exists(run_ + "/checkpoints") && !list_checkpoints(run_).empty();
    const std::string command = started ? "train --resume " + run_ + " --quiet --threads 1" : args + " --run-dir " + run_ + " --overwrite";
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::execl("/bin/sh", "sh", "-c", ("exec " + std::string(WGAN_CLI_PATH) + " " + command + " >/dev/null 2>&1").c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Kill it at a random moment after its start-up, unless it ends first.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::uniform_int_distribution<int>(1300, 1900)(rng));
    int status = 0;
    pid_t done = 0;
    while ((done = ::waitpid(pid, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (done == 0 && kills < 4) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ++kills;
    } else if (done == 0) {
      ::waitpid(pid, &status, 0);
    }
    finished = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  ASSERT_TRUE(finished);
  EXPECT_GE(kills, 2) << "the run was interrupted less than twice: the test proved little";
  RecordProperty("kills", kills);
  EXPECT_EQ(CheckpointReader(list_checkpoints(straight).front()).state().step, steps);
  EXPECT_EQ(CheckpointReader(list_checkpoints(run_).front()).state().step, steps);
  // Every weight of both networks and of the moving average, exactly.
  test_support::expect_same_weights(list_checkpoints(straight).front(), list_checkpoints(run_).front());
  std::multiset<int64_t> logged;
  std::istringstream lines(read_file(run_ + "/metrics.jsonl"));
  for (std::string line; std::getline(lines, line);) logged.insert(nlohmann::json::parse(line)["step"].get<int64_t>());
  for (int step = 1; step <= steps; ++step) EXPECT_EQ(logged.count(step), 1u) << "step " << step;
  EXPECT_EQ(logged.size(), static_cast<size_t>(steps));
}

}  // namespace
}  // namespace wgan
