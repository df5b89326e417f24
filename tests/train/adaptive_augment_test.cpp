// --augment-p ada: the overfitting signal and the controller's rule, the held-out split, and a run
// that moves p, logs it and resumes exactly (p and its smoothing are in the checkpoint).
#include "wgan/augment/adaptive_augment.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "wgan/data/fashion_mnist.h"
#include "wgan/data/training_data.h"
#include "wgan/run/checkpoint.h"
#include "wgan/run/train_config.h"
#include "wgan/train/trainer.h"
#include "wgan/util/error.h"
#include "../support/run_cli.h"
#include "../support/train_fixtures.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

const bool kHaveFashionMnist = fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");

TEST(AdaptiveAugment, SignalIsTheHeldOutShareOfTheRealFakeGap) {
  EXPECT_NEAR(overfitting_signal(1.0, 1.0, -1.0), 0.0, 1e-12);   // held-out scored as training: no overfitting
  EXPECT_NEAR(overfitting_signal(1.0, -1.0, -1.0), 1.0, 1e-12);  // held-out scored as generated: memorised
  EXPECT_NEAR(overfitting_signal(3.0, 2.0, -1.0), 0.25, 1e-12);
  EXPECT_NEAR(overfitting_signal(5.0, 1.0, 7.0), 0.0, 1e-12);    // generated above training: nothing to overfit yet
}

TEST(AdaptiveAugment, StepsTowardsTheTargetAtTheGivenRateWithinZeroAndOne) {
  // 125 real images per measurement, 0 to 1 over 1 kimg: 1/8 per measurement.
  AdaptiveAugment ada(/*target=*/0.5, /*kimg=*/1.0, /*images_per_check=*/125);
  double p = 0;
  for (int i = 1; i <= 8; ++i) {
    p = ada.update(p, 1.0, -1.0, -1.0);  // memorised
    EXPECT_NEAR(p, 0.125 * i, 1e-12) << "measurement " << i;
  }
  EXPECT_NEAR(ada.update(p, 1.0, -1.0, -1.0), 1.0, 1e-12);  // held at 1
  EXPECT_NEAR(ada.signal(), 1.0, 1e-12);
  // The critic stops overfitting: the smoothed signal decays by 0.9 per measurement, so it stays
  // above the target for 6 more (0.9^6 = 0.53), then p falls by the same steps to 0 and no lower.
  int first_fall = 0, falls = 0;
  for (int k = 1; k <= 40; ++k) {
    const double before = p;
    p = ada.update(p, 1.0, 1.0, -1.0);
    if (p < before) {
      if (!first_fall) first_fall = k;
      ++falls;
    }
  }
  EXPECT_EQ(first_fall, 7);
  EXPECT_EQ(falls, 8);
  EXPECT_NEAR(p, 0.0, 1e-12);
  EXPECT_NEAR(ada.signal(), std::pow(0.9, 40), 1e-12);
}

TEST(AdaptiveAugment, RestoredSmoothingContinuesAsIfNeverStopped) {
  AdaptiveAugment a(0.3, 2.0, 50), b(0.3, 2.0, 50);
  double p = 0.2;
  for (double held : {0.5, -0.2, 0.1}) p = a.update(p, 1.0, held, -1.0);
  b.restore(a.smoothing());
  EXPECT_NEAR(b.signal(), a.signal(), 1e-15);
  EXPECT_NEAR(b.update(p, 0.4, 0.3, -2.0), a.update(p, 0.4, 0.3, -2.0), 1e-15);
  EXPECT_NEAR(b.signal(), a.signal(), 1e-15);
  AdaptiveAugment fresh(0.3, 2.0, 50);
  EXPECT_TRUE(fresh.smoothing().empty());
}

TEST(AdaptiveAugment, HeldOutImagesAreThoseMaxImagesLeavesOrTheLastOfTheData) {
  if (!kHaveFashionMnist) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  DataRequest request;
  request.data_dir = kFashionMnistDefaultDir;
  request.quiet = true;
  request.max_images = 59500;  // 500 left over: those are held out
  ImageDataset held_out;
  auto training = load_training_data(request, &held_out);
  const auto all = load_training_data(DataRequest{"fashion-mnist", kFashionMnistDefaultDir, "", 64, 3, 0, true});
  ASSERT_EQ(all.size(), 60000);
  EXPECT_EQ(training.size(), 59500);
  ASSERT_EQ(held_out.size(), 500);
  EXPECT_TRUE(torch::equal(held_out.images, all.images.narrow(0, 59500, 500)));
  EXPECT_TRUE(torch::equal(held_out.labels, all.labels.narrow(0, 59500, 500)));
  // 100 left over are too few to measure on: the last 1,000 of the 59,900 are held out instead.
  request.max_images = 59900;
  training = load_training_data(request, &held_out);
  EXPECT_EQ(training.size(), 58900);
  ASSERT_EQ(held_out.size(), 1000);
  EXPECT_TRUE(torch::equal(held_out.images, all.images.narrow(0, 58900, 1000)));
  EXPECT_TRUE(torch::equal(training.images, all.images.narrow(0, 0, 58900)));
}

class AdaTraining : public test_support::DeterministicTest {
 protected:
  ImageDataset data_ = test_support::square_dataset(64);
  // Noise as the "held-out" images: the critic scores them far below its training squares, as it
  // would real images it had memorised its way past, so the signal is high and p rises.
  ImageDataset held_out_ = test_support::noise_dataset(32);
  TrainConfig config(const std::string& dir, int64_t steps) {
    auto c = test_support::tiny_config(dir, steps);
    c.augment = "translation,cutout";
    c.augment_ada = true;
    c.augment_p = 0.0;
    c.ada_target = 0.2;
    c.ada_kimg = 2.0;  // 4 steps x 5 critic batches x 8 images = 160 per measurement: 0.08 a step
    return c;
  }
  TrainerSetup setup(const std::string& resume_from = "") {
    TrainerSetup s;
    s.quiet = true;
    s.resume_from = resume_from;
    s.held_out = &held_out_;
    return s;
  }
};

TEST_F(AdaTraining, MovesPLogsItAndResumesExactly) {
  const auto straight_dir = test_support::fresh_dir("ada_straight"), split_dir = test_support::fresh_dir("ada_split");
  Trainer straight(config(straight_dir, 16), data_, setup());
  straight.run();
  EXPECT_NEAR(straight.state().augment_p, 4 * 0.08, 0.08 * 2 + 1e-9) << "4 measurements, mostly upwards";
  EXPECT_GT(straight.state().augment_p, 0.0);
  Trainer first(config(split_dir, 6), data_, setup());  // stops between two measurements
  first.run();
  Trainer second(config(split_dir, 16), data_, setup(checkpoint_path(split_dir, 6)));
  second.run();
  EXPECT_NEAR(second.state().augment_p, straight.state().augment_p, 1e-12);
  auto ps = straight.generator().parameters(), qs = second.generator().parameters();
  double worst = 0;
  for (size_t i = 0; i < ps.size(); ++i) worst = std::max(worst, (ps[i] - qs[i]).abs().max().item<double>());
  EXPECT_NEAR(worst, 0.0, 1e-6);
  // metrics.jsonl: p and the signal on every line, p changing only at the measurements (every 4 steps).
  std::ifstream log(fs::path(straight_dir) / "metrics.jsonl");
  double previous = 0;
  int lines = 0;
  for (std::string line; std::getline(log, line);) {
    const auto j = nlohmann::json::parse(line);
    if (!j.contains("critic_loss")) continue;
    ++lines;
    ASSERT_TRUE(j.contains("augment_p") && j.contains("ada_signal")) << line;
    const double p = j["augment_p"].get<double>();
    if (j["step"].get<int64_t>() % AdaptiveAugment::kInterval != 0) EXPECT_NEAR(p, previous, 1e-12) << line;
    previous = p;
  }
  EXPECT_EQ(lines, 16);
  for (const auto& dir : {straight_dir, split_dir}) fs::remove_all(dir);
}

// --ada-kimg may change on resume: a run whose p was held still (a huge kimg) starts moving at the
// new rate from the checkpoint on, and the straight run at the old rate does not.
TEST_F(AdaTraining, ResumeWithANewRateMovesPFromTheCheckpoint) {
  const auto still_dir = test_support::fresh_dir("ada_still"), branch_dir = test_support::fresh_dir("ada_branch");
  auto still = config(still_dir, 16);
  still.ada_kimg = 1e9;
  Trainer straight(still, data_, setup());
  straight.run();
  EXPECT_NEAR(straight.state().augment_p, 0.0, 1e-6);
  auto first_half = config(branch_dir, 8);
  first_half.ada_kimg = 1e9;
  Trainer first(first_half, data_, setup());
  first.run();
  TrainOverrides faster;
  faster.ada_kimg = 2.0;  // 0.08 per measurement
  faster.steps = 16;
  auto resumed = resumed_config(first_half, faster);
  resolve(resumed, data_.size());
  Trainer second(resumed, data_, setup(checkpoint_path(branch_dir, 8)));
  second.run();
  // Two measurements after the checkpoint (steps 12 and 16), each moving p by at most 0.08.
  EXPECT_NEAR(second.state().augment_p, 0.08, 0.08 + 1e-9);
  EXPECT_GT(second.state().augment_p, 0.0);
  for (const auto& dir : {still_dir, branch_dir}) fs::remove_all(dir);
}

TEST_F(AdaTraining, NeedsHeldOutImages) {
  TrainerSetup none;
  none.quiet = true;
  EXPECT_THROW(Trainer(config(test_support::fresh_dir("ada_none"), 4), data_, none), UserError);
}

TEST(AdaCli, BadValuesNameTheFlag) {
  auto not_a_p = test_support::run_cli("train --augment translation --augment-p often --dry-run");
  EXPECT_NE(not_a_p.code, 0);
  EXPECT_NE(not_a_p.output.find("--augment-p"), std::string::npos) << not_a_p.output;
  auto alone = test_support::run_cli("train --augment-p ada --dry-run");
  EXPECT_NE(alone.code, 0);
  EXPECT_NE(alone.output.find("give --augment too"), std::string::npos) << alone.output;
  auto target = test_support::run_cli("train --augment translation --augment-p ada --ada-target 1.5 --dry-run");
  EXPECT_NE(target.code, 0);
  EXPECT_NE(target.output.find("--ada-target"), std::string::npos) << target.output;
}

}  // namespace
}  // namespace wgan
