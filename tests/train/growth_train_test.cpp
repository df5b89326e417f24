// --grow end to end: a run that grows through its phases, resumes exactly in the middle of a
// fade-in, logs its phases, and is sampled and exported as an ordinary generator once grown.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "wgan/run/checkpoint.h"
#include "wgan/run/train_config.h"
#include "../support/run_cli.h"
#include "../support/same_weights.h"
#include "../support/train_fixtures.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

const bool kHaveFashionMnist = fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");

// Batch 16, 5 critic batches a step: 80 images; 0.2 kimg a phase: 2.5 steps. 8, fade 16, 16,
// fade 32, 32: grown after 4 phases, 10 steps.
const std::string kGrowRun = "train --grow --grow-kimg 0.2 --n-critic 5 --max-images 256 --width 8 --batch 16 --log-every 1 "
                             "--sample-every 4 --checkpoint-every 100 --checkpoint-minutes 0 --threads 1 --quiet "
                             "--precision fp32 --seed 5";

TEST(GrowthRun, ResumingInTheMiddleOfAFadeInGivesTheSameRun) {
  if (!kHaveFashionMnist) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  using test_support::run_cli;
  const auto dir = test_support::fresh_dir("growth_run");
  auto straight = run_cli(kGrowRun + " --steps 12 --run-dir " + dir + "/straight");
  ASSERT_EQ(straight.code, 0) << straight.output;
  // Step 4 has seen 320 images: the fade-in of 16 at 0.6.
  auto first = run_cli(kGrowRun + " --steps 4 --run-dir " + dir + "/resumed");
  ASSERT_EQ(first.code, 0) << first.output;
  CheckpointReader middle(list_checkpoints(dir + "/resumed").front());
  const auto phase = growth_phase(middle.config(), middle.state().real_batches);
  EXPECT_EQ(phase.resolution, 16);
  EXPECT_NEAR(phase.alpha, 0.6, 1e-9);
  auto rest = run_cli("train --resume " + dir + "/resumed --steps 12 --threads 1 --quiet");
  ASSERT_EQ(rest.code, 0) << rest.output;
  test_support::expect_same_weights(list_checkpoints(dir + "/straight").front(),
                                    list_checkpoints(dir + "/resumed").front());

  // metrics.jsonl holds the phase of each line: 8 first, 32 at the end, a fade-in between.
  std::ifstream log(dir + "/straight/metrics.jsonl");
  std::vector<double> sides, fades;
  for (std::string line; std::getline(log, line);) {
    const auto j = nlohmann::json::parse(line);
    if (!j.contains("resolution")) continue;
    sides.push_back(j["resolution"].get<double>());
    fades.push_back(j["fade_in"].get<double>());
  }
  ASSERT_EQ(sides.size(), 12u);
  EXPECT_EQ(sides.front(), 8.0);
  EXPECT_EQ(sides.back(), 32.0);
  EXPECT_NEAR(fades[3], 0.2, 1e-9);  // step 4 trained at the phase of 240 images seen: 16, faded in to 0.2

  // Grown: sample gives 32x32 images (the grid of 4 rows of 4), export writes an ordinary generator.
  auto sample = run_cli("sample --checkpoint " + dir + "/straight --num 16 --nrow 4 --npy " + dir + "/s.npy --grid " +
                        dir + "/s.png");
  ASSERT_EQ(sample.code, 0) << sample.output;
  EXPECT_EQ(sample.output.find("upsampled"), std::string::npos) << sample.output;
  auto exported = run_cli("export --checkpoint " + dir + "/straight --to " + dir + "/G.pt");
  EXPECT_EQ(exported.code, 0) << exported.output;
  // Not grown yet: sample says so (and upsamples); export refuses, naming the side.
  auto early = run_cli(kGrowRun + " --steps 2 --run-dir " + dir + "/early");
  ASSERT_EQ(early.code, 0) << early.output;
  auto early_grid = run_cli("sample --checkpoint " + dir + "/early --num 4 --grid " + dir + "/early.png");
  EXPECT_EQ(early_grid.code, 0) << early_grid.output;
  EXPECT_NE(early_grid.output.find("8x8 of its growth to 32x32"), std::string::npos) << early_grid.output;
  auto refused = run_cli("export --checkpoint " + dir + "/early --to " + dir + "/early.pt");
  EXPECT_NE(refused.code, 0);
  EXPECT_NE(refused.output.find("has grown to 8x8 of 32x32"), std::string::npos) << refused.output;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace wgan
