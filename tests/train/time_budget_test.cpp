// --minutes: the length in steps planned from the timed first steps, a clean end, and a run that
// --steps N repeats exactly.
#include "wgan/train/time_budget.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <nlohmann/json.hpp>

#include "wgan/run/checkpoint.h"
#include "wgan/util/error.h"
#include "../support/run_cli.h"
#include "../support/same_weights.h"
#include "../support/train_fixtures.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

const bool kHaveFashionMnist = fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");

TEST(TimeBudget, TheStepsThatFitAreTheBudgetLeftOverTheSpeed) {
  // 60 s less the 3% reserve is 58.2 s; 10.2 s are spent; at 0.5 s per step 96 more steps fit.
  EXPECT_EQ(steps_within_budget(60.0, 10.2, 0.5, 20), 20 + 96);
  EXPECT_EQ(steps_within_budget(600.0, 30.0, 2.0, 40), 40 + 276);  // 582 - 30 = 552 s: 276 steps
  EXPECT_EQ(steps_within_budget(60.0, 70.0, 0.5, 20), 21);         // already over: one more step
  EXPECT_EQ(steps_within_budget(60.0, 0.0, 0.0, 7), 8);            // no speed measured
}

TEST(TimeBudget, AMinutesRunPlansItsLengthEndsCleanlyAndStepsRepeatsIt) {
  if (!kHaveFashionMnist) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  using test_support::run_cli;
  const auto dir = test_support::fresh_dir("time_budget");
  const std::string args = "train --max-images 256 --width 8 --batch 16 --threads 1 --precision fp32 --seed 3 "
                           "--checkpoint-minutes 0";
  const auto timed = run_cli(args + " --minutes 0.08 --run-dir " + dir + "/timed");
  ASSERT_EQ(timed.code, 0) << timed.output;
  EXPECT_NE(timed.output.find("fill the budget"), std::string::npos) << timed.output;
  EXPECT_NE(timed.output.find("reached step"), std::string::npos) << timed.output;

  // The run became --steps N: in config.json, in its last checkpoint, with the cadences following N.
  std::ifstream config_file(dir + "/timed/config.json");
  const auto config = nlohmann::json::parse(config_file);
  ASSERT_TRUE(config.at("steps").is_number_integer()) << config.dump();
  const int64_t steps = config.at("steps").get<int64_t>();
  EXPECT_GT(steps, TimeBudget::kWarmupSteps + TimeBudget::kTimedSteps);
  EXPECT_TRUE(config.at("minutes").is_null());
  EXPECT_EQ(config.at("sample_every").get<int64_t>(), (steps + 9) / 10);
  const auto checkpoints = list_checkpoints(dir + "/timed");
  ASSERT_FALSE(checkpoints.empty());
  CheckpointReader last(checkpoints.front());
  EXPECT_EQ(last.state().step, steps);
  EXPECT_EQ(last.config().total_steps, steps);
  EXPECT_FALSE(last.config().minutes.has_value());
  EXPECT_TRUE(fs::exists(dir + "/timed/report.html"));

  // The same flags with --steps N train the same weights.
  const auto repeat = run_cli(args + " --steps " + std::to_string(steps) + " --run-dir " + dir + "/repeat");
  ASSERT_EQ(repeat.code, 0) << repeat.output;
  test_support::expect_same_weights(checkpoints.front(), list_checkpoints(dir + "/repeat").front());

  // Resumed without a length, the run is already at its end: nothing more is trained.
  const auto resumed = run_cli("train --resume " + dir + "/timed --threads 1");
  EXPECT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_EQ(CheckpointReader(list_checkpoints(dir + "/timed").front()).state().step, steps);
  fs::remove_all(dir);
}

// --grow: the steps at the first, small side say little of the final side's speed, so the length
// is planned from steps timed once the run has grown.
TEST(TimeBudget, AGrowingRunPlansFromTheStepsAtItsFinalSide) {
  if (!kHaveFashionMnist) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const auto dir = test_support::fresh_dir("time_budget_grow");
  // 80 images a step, 0.2 kimg a phase: grown (8 -> 32) after 10 steps.
  const auto run = test_support::run_cli("train --grow --grow-kimg 0.2 --n-critic 5 --max-images 256 --width 8 --batch 16 "
                                         "--threads 1 --precision fp32 --checkpoint-minutes 0 --minutes 0.08 "
                                         "--run-dir " + dir);
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_NE(run.output.find("at the final side"), std::string::npos) << run.output;
  const auto planned = run.output.find("fill the budget");
  ASSERT_NE(planned, std::string::npos) << run.output;
  const auto last = CheckpointReader(list_checkpoints(dir).front());
  // Planned after the 10 growing steps and the 20 timed ones at 32x32.
  EXPECT_GE(last.state().step, 10 + TimeBudget::kWarmupSteps + TimeBudget::kTimedSteps);
  EXPECT_EQ(last.config().total_steps, last.state().step);
  fs::remove_all(dir);
}

// --grow without --grow-kimg: the phases' length comes from one step timed at every side on
// throwaway networks, is recorded, and leaves the run's own weights and random numbers untouched,
// so --grow-kimg K --steps N with what config.json holds repeats the run exactly.
TEST(TimeBudget, AGrowingRunWithoutAPhaseLengthTimesEverySideAndStaysRepeatable) {
  if (!kHaveFashionMnist) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  using test_support::run_cli;
  const auto dir = test_support::fresh_dir("time_budget_grow_default");
  const std::string args = "train --grow --max-images 256 --width 8 --batch 16 --threads 1 --precision fp32 "
                           "--seed 5 --checkpoint-minutes 0";
  const auto timed = run_cli(args + " --minutes 0.1 --run-dir " + dir + "/timed");
  ASSERT_EQ(timed.code, 0) << timed.output;
  EXPECT_NE(timed.output.find("one step timed at each side"), std::string::npos) << timed.output;
  std::ifstream config_file(dir + "/timed/config.json");
  const auto config = nlohmann::json::parse(config_file);
  ASSERT_TRUE(config.at("grow_kimg").is_number()) << config.dump();
  const double grow_kimg = config.at("grow_kimg").get<double>();
  EXPECT_GT(grow_kimg, 0.0);
  const int64_t steps = config.at("steps").get<int64_t>();
  std::ostringstream repeat_args;
  repeat_args.precision(17);
  repeat_args << args << " --grow-kimg " << grow_kimg << " --steps " << steps << " --run-dir " << dir << "/repeat";
  const auto repeat = run_cli(repeat_args.str());
  ASSERT_EQ(repeat.code, 0) << repeat.output;
  test_support::expect_same_weights(list_checkpoints(dir + "/timed").front(), list_checkpoints(dir + "/repeat").front());
  fs::remove_all(dir);
}

TEST(TimeBudget, DistributedRunsAreRefusedNamingTheFlag) {
  auto config = test_support::tiny_config(test_support::fresh_dir("budget_ranks"), 2);
  config.steps.reset();
  config.minutes = 1.0;
  try {
    check_options(config, torch::kCPU, /*world_size=*/2);
    FAIL() << "--minutes accepted with two ranks";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("--minutes"), std::string::npos) << e.what();
  }
  config.steps = 5;
  EXPECT_THROW(check_options(config, torch::kCPU), UserError);  // two lengths
}

}  // namespace
}  // namespace wgan
