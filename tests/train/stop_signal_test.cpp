// Stop signals as users and supervisors deliver them: two TERMs in the same instant and a third
// 50 ms later, GNU timeout (the command, then its process group), two Ctrl-Cs 50 ms apart, a
// person's second Ctrl-C, a signal while a checkpoint, a quality evaluation or a grid is in
// progress, `--nproc 2` stopped through its process group, through the launcher alone and by
// kill -9 of the launcher, and kill -9 after a clock checkpoint. Each must leave a checkpoint that
// holds the same weights as an uninterrupted run at that step and resumes to the same weights.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "wgan/dist/process_group.h"
#include "wgan/models/networks.h"
#include "wgan/run/checkpoint.h"
#include "wgan/util/atomic_file.h"
#include "../support/run_cli.h"
#include "../support/train_fixtures.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

using test_support::run_cli;
using Clock = std::chrono::steady_clock;

const bool kHaveFashionMnist = fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");

// A tiny float32 run (exact comparisons) that never ends before the signal, with `extra` flags;
// grids and checkpoints only when `extra` asks for them. `distributed`: two ranks, one thread each.
std::string tiny_run(const std::string& extra, bool distributed = false) {
  std::string args = "train --max-images 256 --width 8 --batch 16 --log-every 1 --threads 1 --quiet "
                     "--precision fp32 " + extra;
  if (distributed) args += " --nproc 2 --critic-norm layer";
  for (const char* flag : {"--sample-every", "--checkpoint-every"})
    if (extra.find(flag) == std::string::npos) args += std::string(" ") + flag + " 100000";
  if (extra.find("--checkpoint-minutes") == std::string::npos) args += " --checkpoint-minutes 0";
  return args;
}

bool exists_nonempty(const fs::path& file) {
  std::error_code ec;
  return fs::exists(file, ec) && fs::file_size(file, ec) > 0;
}

// The run in progress: `wgan ARGS` started in the background, its output in LOG.
struct Started {
  pid_t pid = -1;
  std::string log;
};

// `own_group`: the child leads a new process group (as under a shell's job control or timeout(1)),
// so that the test can signal the whole group.
Started start(const std::string& args, const std::string& log, const std::string& env = "", bool own_group = false) {
  Started run;
  run.log = log;
  run.pid = ::fork();
  if (run.pid == 0) {
    if (own_group) ::setpgid(0, 0);
    const std::string command = "exec " + (env.empty() ? "" : "env " + env + " ") + std::string(WGAN_CLI_PATH) + " " +
                                args + " > " + log + " 2>&1";
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  if (own_group) ::setpgid(run.pid, run.pid);  // both sides, so the group exists before any signal
  return run;
}

// Whether `pid` (a child not yet waited for) still runs: a zombie has ended.
bool running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, name, state;
  stat >> pid_field >> name >> state;
  return stat && state != "Z";
}

// Waits up to `seconds` for `file` to exist with something in it, while `pid` runs.
bool wait_for(const fs::path& file, pid_t pid, int seconds = 90) {
  const auto deadline = Clock::now() + std::chrono::seconds(seconds);
  while (!exists_nonempty(file) && Clock::now() < deadline && running(pid))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return exists_nonempty(file);
}

// The exit status of `pid`; killed with -9 (and reported as -1) when it runs past `seconds`.
int wait_exit(pid_t pid, int seconds = 120) {
  const auto deadline = Clock::now() + std::chrono::seconds(seconds);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

std::string read_log(const std::string& log) {
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

size_t count_of(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// The largest difference between two checkpoints' G, D and G_ema, over every parameter and buffer.
double checkpoint_difference(const std::string& file_a, const std::string& file_b) {
  CheckpointReader a(file_a), b(file_b);
  double worst = 0;
  for (const char* part : {"G", "D", "G_ema"}) {
    const bool critic = part[0] == 'D';
    auto net_a = critic ? std::shared_ptr<torch::nn::Module>(make_critic(a.config().model))
                        : std::shared_ptr<torch::nn::Module>(make_generator(a.config().model));
    auto net_b = critic ? std::shared_ptr<torch::nn::Module>(make_critic(b.config().model))
                        : std::shared_ptr<torch::nn::Module>(make_generator(b.config().model));
    a.load_module(part, *net_a);
    b.load_module(part, *net_b);
    auto tensors_a = net_a->parameters(), tensors_b = net_b->parameters();
    for (auto& t : net_a->buffers()) tensors_a.push_back(t);
    for (auto& t : net_b->buffers()) tensors_b.push_back(t);
    EXPECT_EQ(tensors_a.size(), tensors_b.size());
    for (size_t i = 0; i < std::min(tensors_a.size(), tensors_b.size()); ++i)
      worst = std::max(worst, (tensors_a[i].to(torch::kFloat64) - tensors_b[i].to(torch::kFloat64)).abs().max().item<double>());
  }
  return worst;
}

class StopSignals : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!kHaveFashionMnist) GTEST_SKIP() << "dataset-fashion-mnist not installed";
    dir_ = test_support::fresh_dir("stop");
    fs::create_directories(dir_);
    run_ = dir_ + "/run";
    log_ = dir_ + "/run.log";
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // Starts the tiny run with `extra` flags, waits until it trains (its first metrics line).
  Started start_training(const std::string& extra = "", const std::string& env = "", bool own_group = false,
                         bool distributed = false) {
    Started run = start(tiny_run(extra + " --run-dir " + run_, distributed), log_, env, own_group);
    EXPECT_TRUE(wait_for(run_ + "/metrics.jsonl", run.pid)) << read_log(log_);
    return run;
  }

  // The stopped run's newest checkpoint holds the weights an uninterrupted run has at that step,
  // and resuming it two steps further gives the uninterrupted run's weights there. `tolerance` 0:
  // bit for bit (one process); two ranks compare within float32 reordering between launches.
  // `resume_flags`: what the resumed run changes besides its length (no metrics, say).
  int64_t expect_resumes_exactly(bool distributed = false, double tolerance = 0, const std::string& resume_flags = "") {
    const auto checkpoints = list_checkpoints(run_);
    EXPECT_FALSE(checkpoints.empty()) << read_log(log_);
    if (checkpoints.empty()) return -1;
    const int64_t stopped = CheckpointReader(checkpoints.front()).state().step;
    EXPECT_GT(stopped, 0);
    const std::string straight = dir_ + "/straight", until = std::to_string(stopped + 2);
    auto reference = run_cli(tiny_run("--steps " + until + " --checkpoint-every 1 --keep-checkpoints 3 --run-dir " +
                                      straight, distributed));
    EXPECT_EQ(reference.code, 0) << reference.output;
    EXPECT_NEAR(checkpoint_difference(checkpoints.front(), checkpoint_path(straight, stopped)), 0.0, tolerance)
        << "the stop's checkpoint is not the uninterrupted run's step " << stopped;
    const std::string nproc = distributed ? " --nproc 2" : "";
    auto resumed = run_cli("train --resume " + run_ + " --steps " + until + " --quiet --threads 1" + nproc + " " + resume_flags);
    EXPECT_EQ(resumed.code, 0) << resumed.output;
    EXPECT_NEAR(checkpoint_difference(list_checkpoints(run_).front(), checkpoint_path(straight, stopped + 2)), 0.0,
                tolerance)
        << "resumed from step " << stopped << ", the run does not reach the uninterrupted run's weights";
    return stopped;
  }

  std::string dir_, run_, log_;
};

// GNU timeout, Slurm and group kills deliver one stop twice within microseconds.
TEST_F(StopSignals, TwoTermsAtOnceAndAThirdLaterStopOnceWithACheckpoint) {
  Started run = start_training();
  ::kill(run.pid, SIGTERM);
  ::kill(run.pid, SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ::kill(run.pid, SIGTERM);
  EXPECT_EQ(wait_exit(run.pid), 130) << read_log(log_);
  const std::string log = read_log(log_);
  EXPECT_EQ(count_of(log, "stopping after this step: writing the checkpoint"), 1u) << log;
  EXPECT_NE(log.find("interrupted at step"), std::string::npos) << log;
  const int64_t step = expect_resumes_exactly();
  EXPECT_TRUE(fs::exists(fs::path(run_) / "samples" / (std::string(6 - std::to_string(step).size(), '0') +
                                                       std::to_string(step) + ".png")))
      << "no final grid";
}

// As users type it: timeout signals the command and then its whole process group; with
// --foreground only the command. Either way the run checkpoints and timeout reports 124.
TEST_F(StopSignals, TimeoutAsUsersTypeItKeepsTheRun) {
  for (const std::string mode : {"", "--foreground "}) {
    fs::remove_all(run_);
    fs::remove_all(dir_ + "/straight");
    const auto started = Clock::now();
    auto r = test_support::run_shell("timeout " + mode + "-s TERM 5 " + std::string(WGAN_CLI_PATH) + " " +
                                     tiny_run("--run-dir " + run_) + " > " + log_ + " 2>&1");
    EXPECT_EQ(r.code, 124) << mode << read_log(log_);
    const auto seconds = std::chrono::duration<double>(Clock::now() - started).count();
    RecordProperty(mode.empty() ? "timeout_seconds" : "timeout_foreground_seconds", std::to_string(seconds));
    EXPECT_NE(read_log(log_).find("interrupted at step"), std::string::npos) << mode << read_log(log_);
    expect_resumes_exactly();
  }
}

TEST_F(StopSignals, TwoCtrlCsFiftyMsApartAreOneStop) {
  Started run = start_training();
  ::kill(run.pid, SIGINT);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ::kill(run.pid, SIGINT);
  EXPECT_EQ(wait_exit(run.pid), 130) << read_log(log_);
  const std::string log = read_log(log_);
  EXPECT_EQ(log.find("second Ctrl-C"), std::string::npos) << "50 ms apart is one stop, not a person insisting\n" << log;
  EXPECT_EQ(log.find("grid and report were skipped"), std::string::npos) << log;
  expect_resumes_exactly();
}

// A person presses Ctrl-C again while the checkpoint is written (a slow disk): the checkpoint is
// finished, the grid and report are skipped.
TEST_F(StopSignals, APersonsSecondCtrlCSkipsTheGridButNotTheCheckpoint) {
  Started run = start_training("", "WGAN_SLOW_WRITE=2500:ckpt-");
  ::kill(run.pid, SIGINT);
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  ::kill(run.pid, SIGINT);
  EXPECT_EQ(wait_exit(run.pid), 130) << read_log(log_);
  const std::string log = read_log(log_);
  EXPECT_NE(log.find("second Ctrl-C: writing the checkpoint only"), std::string::npos) << log;
  EXPECT_NE(log.find("grid and report were skipped"), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(fs::path(run_) / "samples")) << "a grid was written after the second Ctrl-C";
  expect_resumes_exactly();
}

// A checkpoint every step on a slow disk: the signal lands while one is written; it is finished
// (no temporary file left), and the stop does not write the same step again.
TEST_F(StopSignals, ASignalDuringACheckpointWriteFinishesIt) {
  Started run = start_training("--checkpoint-every 1 --keep-checkpoints 2", "WGAN_SLOW_WRITE=700:ckpt-");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::kill(run.pid, SIGTERM);
  ::kill(run.pid, SIGTERM);
  EXPECT_EQ(wait_exit(run.pid), 130) << read_log(log_);
  for (const auto& entry : fs::recursive_directory_iterator(run_))
    EXPECT_EQ(entry.path().string().find(".tmp."), std::string::npos) << entry.path();
  expect_resumes_exactly();
}

// A quality evaluation runs after every step, each about 40 s on one core (SWD of 1,000 images):
// the signal lands in the first one, which is abandoned rather than finished.
TEST_F(StopSignals, ASignalDuringAQualityEvaluationAbandonsIt) {
  Started run = start_training("--metrics swd --metrics-every 0.001 --metrics-num 1000");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto signalled = Clock::now();
  ::kill(run.pid, SIGTERM);
  EXPECT_EQ(wait_exit(run.pid), 130) << read_log(log_);
  RecordProperty("seconds_to_exit", std::to_string(std::chrono::duration<double>(Clock::now() - signalled).count()));
  const std::string log = read_log(log_);
  EXPECT_NE(log.find("quality evaluation at step"), std::string::npos) << log;
  EXPECT_NE(log.find("was abandoned for the stop"), std::string::npos) << log;
  expect_resumes_exactly(false, 0, "--metrics ''");
}

// A grid every step on a slow disk: the signal lands while one is written.
TEST_F(StopSignals, ASignalDuringAGridKeepsTheRun) {
  Started run = start_training("--sample-every 1", "WGAN_SLOW_WRITE=700:samples/");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::kill(run.pid, SIGTERM);
  ::kill(run.pid, SIGTERM);
  EXPECT_EQ(wait_exit(run.pid), 130) << read_log(log_);
  expect_resumes_exactly();
}

// The disk refuses the stop's checkpoint: a different exit code, and the message says why.
TEST_F(StopSignals, AStopThatCannotSaveHasItsOwnExitCode) {
  Started run = start_training("", "WGAN_FAULT=ENOSPC:ckpt-");
  ::kill(run.pid, SIGTERM);
  EXPECT_EQ(wait_exit(run.pid), 4) << read_log(log_);
  const std::string log = read_log(log_);
  EXPECT_NE(log.find("No space left on device"), std::string::npos) << log;
  EXPECT_NE(log.find("No checkpoint was written yet"), std::string::npos) << log;
  EXPECT_TRUE(list_checkpoints(run_).empty());
}

// Checkpoints by the clock (every 0.6 s here, keeping one): kill -9 after two of them, and the
// newest resumes exactly.
TEST_F(StopSignals, KillNineAfterAClockCheckpointResumesExactly) {
  Started run = start_training("--checkpoint-minutes 0.01 --keep-checkpoints 1");
  // Until the second clock checkpoint has replaced the first (pruned: one file again).
  const auto deadline = Clock::now() + std::chrono::seconds(90);
  std::string first, second;
  while (Clock::now() < deadline && second.empty() && running(run.pid)) {
    const auto files = list_checkpoints(run_);
    if (files.size() == 1 && first.empty()) first = files.front();
    if (files.size() == 1 && !first.empty() && files.front() != first) second = files.front();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(run.pid, SIGKILL);
  EXPECT_EQ(wait_exit(run.pid), 128 + SIGKILL) << read_log(log_);
  EXPECT_FALSE(second.empty()) << "not two clock checkpoints, pruned to one, within 90 s\n" << read_log(log_);
  EXPECT_EQ(list_checkpoints(run_).size(), 1u) << "--keep-checkpoints 1 applies to clock checkpoints too";
  expect_resumes_exactly();
}

// ---- --nproc 2: the launcher and its workers.

class StopSignalsDistributed : public StopSignals {
 protected:
  void SetUp() override {
    if (!distributed_available()) GTEST_SKIP() << "built without c10d/Gloo";
    StopSignals::SetUp();
  }
};

// Ctrl-C in a terminal, `kill -TERM -PGID`, scancel: every process of the group gets the signal,
// the workers also get it passed on by the launcher.
TEST_F(StopSignalsDistributed, ASignalToTheWholeGroupStopsEveryRankAtOneStep) {
  Started run = start_training("", "", /*own_group=*/true, /*distributed=*/true);
  ::kill(-run.pid, SIGTERM);
  EXPECT_EQ(wait_exit(run.pid), 130) << read_log(log_);
  EXPECT_EQ(::kill(-run.pid, 0), -1) << "a process of the group is still running";
  expect_resumes_exactly(/*distributed=*/true, 1e-5);
}

// kill PID, docker stop: only the launcher gets SIGTERM. It passes it on, waits for the
// checkpoint, and exits with the workers' status; none is left running.
TEST_F(StopSignalsDistributed, SigtermToTheLauncherAloneStopsItsWorkers) {
  Started run = start_training("", "", /*own_group=*/true, /*distributed=*/true);
  ::kill(run.pid, SIGTERM);
  EXPECT_EQ(wait_exit(run.pid), 130) << read_log(log_);
  EXPECT_EQ(::kill(-run.pid, 0), -1) << "a worker outlived its launcher";
  EXPECT_NE(read_log(log_).find("passing the stop on to the workers"), std::string::npos) << read_log(log_);
  expect_resumes_exactly(/*distributed=*/true, 1e-5);
}

// kill -9 of the launcher: the kernel's parent-death signal stops the workers, which still write
// their checkpoint. This test adopts them (a subreaper) to see them end and read their status.
TEST_F(StopSignalsDistributed, KillNineOfTheLauncherLeavesNoWorkerRunning) {
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  Started run = start_training("", "", /*own_group=*/true, /*distributed=*/true);
  ::kill(run.pid, SIGKILL);
  EXPECT_EQ(wait_exit(run.pid), 128 + SIGKILL);
  // The orphaned workers are now this process's children: each must end, having saved.
  const auto deadline = Clock::now() + std::chrono::seconds(120);
  int workers = 0;
  while (Clock::now() < deadline) {
    int status = 0;
    const pid_t pid = ::waitpid(-run.pid, &status, WNOHANG);
    if (pid < 0) break;  // none left in the group
    if (pid == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    ++workers;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 130) << "worker status " << status;
  }
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  EXPECT_EQ(workers, 2);
  EXPECT_EQ(::kill(-run.pid, 0), -1) << "a worker outlived its launcher";
  expect_resumes_exactly(/*distributed=*/true, 1e-5);
}

}  // namespace
}  // namespace wgan
