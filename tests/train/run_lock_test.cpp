// One trainer per run directory: a second `wgan train` on a directory being trained, new or
// --resume, is refused at once naming the holder's PID, and the first run goes on untouched (its
// final weights are those of a run alone); a holder killed with -9 leaves no lock behind.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "wgan/models/networks.h"
#include "wgan/run/checkpoint.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/directory_lock.h"
#include "wgan/util/error.h"
#include "../support/run_cli.h"
#include "../support/same_weights.h"
#include "../support/train_fixtures.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

using test_support::run_cli;

const bool kHaveFashionMnist = fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");

const std::string kRun = "train --max-images 256 --width 8 --batch 16 --log-every 1 --threads 1 --quiet "
                         "--precision fp32 --checkpoint-minutes 0 --steps ";

TEST(DirectoryLock, ASecondHolderIsRefusedAndTheLockEndsWithItsHolder) {
  const std::string dir = test_support::fresh_dir("lock");
  {
    DirectoryLock first(dir, "trained");
    // flock belongs to the open file: another open in this same process is refused too.
    try {
      DirectoryLock second(dir, "trained");
      ADD_FAILURE() << "a second lock was granted";
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find(dir + " is being trained by process " + std::to_string(::getpid()) +
                                           " since "),
                std::string::npos)
          << e.what();
    }
  }
  DirectoryLock again(dir, "trained");  // released with its holder
  fs::remove_all(dir);
}

TEST(RunLock, ASecondTrainerIsRefusedAndTheFirstRunStaysWhole) {
  if (!kHaveFashionMnist) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const std::string dir = test_support::fresh_dir("runlock"), run = dir + "/run";
  fs::create_directories(dir);
  const int steps = 300;  // long enough for two refused starts while it trains
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c",
            ("exec " + std::string(WGAN_CLI_PATH) + " " + kRun + std::to_string(steps) + " --run-dir " + run +
             " > " + dir + "/first.log 2>&1").c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (!fs::exists(run + "/metrics.jsonl") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // A new run and a resume from a second terminal, both while the first one trains.
  for (const std::string second : {kRun + "30 --run-dir " + run, "train --resume " + run + " --quiet"}) {
    auto r = run_cli(second);
    EXPECT_EQ(r.code, 1) << second << "\n" << r.output;
    EXPECT_NE(r.output.find(run + " is being trained by process " + std::to_string(pid)), std::string::npos)
        << r.output;
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the first run did not finish";
  // It reached the weights of a run alone, and logged each step once.
  auto alone = run_cli(kRun + std::to_string(steps) + " --run-dir " + dir + "/alone");
  ASSERT_EQ(alone.code, 0) << alone.output;
  CheckpointReader a(list_checkpoints(run).front()), b(list_checkpoints(dir + "/alone").front());
  EXPECT_EQ(a.state().step, steps);
  EXPECT_EQ(b.state().step, steps);
  for (const char* part : {"G", "G_ema"}) {
    auto net_a = make_generator(a.config().model), net_b = make_generator(b.config().model);
    a.load_module(part, *net_a);
    b.load_module(part, *net_b);
    const auto pa = net_a->parameters(), pb = net_b->parameters();
    ASSERT_EQ(pa.size(), pb.size());
    for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i])) << part << " parameter " << i;
  }
  auto count_lines = [&] {
    int n = 0;
    for (char c : read_file(run + "/metrics.jsonl")) n += c == '\n';
    return n;
  };
  const int lines = count_lines();
  EXPECT_EQ(lines, steps) << "the refused trainers wrote into the first one's log";

  // kill -9 leaves no lock: the next resume starts at once.
  const pid_t killed = ::fork();
  if (killed == 0) {
    ::execl("/bin/sh", "sh", "-c",
            ("exec " + std::string(WGAN_CLI_PATH) + " train --resume " + run + " --steps 100000 --quiet > /dev/null 2>&1")
                .c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (count_lines() <= lines && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::kill(killed, SIGKILL);
  ::waitpid(killed, &status, 0);
  auto resumed = run_cli("train --resume " + run + " --steps " + std::to_string(steps + 2) + " --quiet --threads 1");
  EXPECT_EQ(resumed.code, 0) << resumed.output;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace wgan

namespace wgan {
namespace {

// Readers take no lock: `sample` during a checkpoint write (slowed to 400 ms, so that most reads
// land inside one) gets a whole checkpoint, the previous or the new one, never part of one.
TEST(RunLock, SampleDuringACheckpointWriteReadsAWholeOne) {
  if (!kHaveFashionMnist) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const std::string dir = test_support::fresh_dir("readers"), run = dir + "/run";
  fs::create_directories(dir);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c",
            ("exec env WGAN_SLOW_WRITE=400:ckpt- " + std::string(WGAN_CLI_PATH) + " " + kRun +
             "100000 --checkpoint-every 1 --keep-checkpoints 2 --run-dir " + run + " > /dev/null 2>&1")
                .c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (list_checkpoints(run).empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (int i = 0; i < 6; ++i) {
    auto r = run_cli("sample --checkpoint " + run + " --num 4 --grid " + dir + "/grid.png");
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(r.output.find("warning"), std::string::npos) << "a partial checkpoint was seen: " << r.output;
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace wgan

namespace wgan {
namespace {

// The kill -9 property and the lock together (issue 31): a run killed with -9 at three random
// moments, each time followed at once by the next trainer on the same directory (which must get
// the lock the dead one held) resuming it, ends at the weights of the same run uninterrupted.
TEST(RunLock, KilledAtRandomAndResumedAtOnceEndsAsARunAlone) {
  if (!kHaveFashionMnist) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const std::string dir = test_support::fresh_dir("killresume"), run = dir + "/run";
  fs::create_directories(dir);
  const int steps = 400;
  const std::string every = " --checkpoint-every 7";
  std::mt19937 rng(2026);
  const auto start = [&](const std::string& args) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::execl("/bin/sh", "sh", "-c",
              ("exec " + std::string(WGAN_CLI_PATH) + " " + args + " >> " + dir + "/killed.log 2>&1").c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    return pid;
  };
  std::string command = kRun + std::to_string(steps) + every + " --run-dir " + run;
  int kills = 0;
  for (int round = 0; round < 3; ++round) {
    const pid_t pid = start(command);
    // Once this trainer has written a checkpoint of its own (so it is training, and a resume has
    // one), a random moment: mid-step, mid-write or mid-log.
    const auto newest = [&] { return list_checkpoints(run).empty() ? "" : list_checkpoints(run).front(); };
    const std::string before = newest();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    while (newest() == before && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 400)(rng)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) ++kills;  // else it had finished: nothing to kill
    command = "train --resume " + run + " --quiet";
  }
  EXPECT_GE(kills, 2) << "the run ended before most kills: make it longer\n" << read_file(dir + "/killed.log");
  auto resumed = run_cli("train --resume " + run + " --quiet");
  ASSERT_EQ(resumed.code, 0) << resumed.output << read_file(dir + "/killed.log");
  EXPECT_EQ(resumed.output.find("is being trained"), std::string::npos) << "a dead trainer's lock refused it";

  auto alone = run_cli(kRun + std::to_string(steps) + every + " --run-dir " + dir + "/alone");
  ASSERT_EQ(alone.code, 0) << alone.output;
  EXPECT_EQ(CheckpointReader(list_checkpoints(run).front()).state().step, steps);
  test_support::expect_same_weights(list_checkpoints(run).front(), list_checkpoints(dir + "/alone").front());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace wgan
