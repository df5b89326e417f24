// --cond --class-loss: the critic's class head learns the classes of real images during training
// (and is absent with --class-loss 0, leaving the projection alone).
#include <gtest/gtest.h>

#include "wgan/train/trainer.h"
#include "../support/train_fixtures.h"

namespace wgan {
namespace {

// Squares of two kinds: class 0 small (side < 16), class 1 large.
ImageDataset labelled_squares(int64_t n) {
  auto data = test_support::square_dataset(n);
  data.labels = ((data.images > 0).sum({1, 2, 3}) >= 16 * 16).to(torch::kInt64);
  data.class_names = {"small", "large"};
  return data;
}

TrainConfig conditional(const std::string& dir, double class_loss, const ImageDataset& data) {
  auto c = test_support::tiny_config(dir, 30);
  c.cond = true;
  c.class_loss = class_loss;
  take_classes_from_data(c, data);
  return c;
}

class ClassHead : public test_support::DeterministicTest {};

TEST_F(ClassHead, LearnsTheClassesOfRealImages) {
  const auto data = labelled_squares(128);
  const auto counts = data.class_counts();
  ASSERT_GT(counts[0], 16);
  ASSERT_GT(counts[1], 16);
  const auto dir = test_support::fresh_dir("class_head");
  auto config = conditional(dir, 1.0, data);
  ASSERT_TRUE(config.model.class_head);
  Trainer trainer(config, data, true);
  auto accuracy = [&] {
    torch::NoGradGuard no_grad;
    const auto images = to_signed_unit(data.images.permute({0, 3, 1, 2}).contiguous());
    const auto logits = trainer.critic().score_and_classify(images, data.labels).class_logits;
    return (logits.argmax(1) == data.labels).to(torch::kFloat64).mean().item<double>();
  };
  const double before = accuracy();
  trainer.run();
  const double after = accuracy();
  EXPECT_GT(after, 0.9) << "before training: " << before;
  EXPECT_GT(after, before + 0.1);
  std::filesystem::remove_all(dir);
}

// --cond with --augment-p ada: the held-out images' labels go to the critic with them.
TEST_F(ClassHead, TrainsWithAdaptiveAugmentation) {
  const auto all = labelled_squares(96);
  auto data = all.slice(0, 64);
  const auto held_out = all.slice(64, 32);
  const auto dir = test_support::fresh_dir("class_head_ada");
  auto config = conditional(dir, 1.0, data);
  config.steps = 8;
  resolve(config, 0);
  config.augment = "translation,cutout";
  config.augment_ada = true;
  config.augment_p = 0.0;
  TrainerSetup setup;
  setup.quiet = true;
  setup.held_out = &held_out;
  Trainer trainer(config, data, setup);
  trainer.run();
  EXPECT_EQ(trainer.state().step, 8);
  EXPECT_GE(trainer.state().augment_p, 0.0);
  std::filesystem::remove_all(dir);
}

TEST_F(ClassHead, ClassLossZeroLeavesTheProjectionAlone) {
  const auto data = labelled_squares(32);
  const auto dir = test_support::fresh_dir("class_head_off");
  auto config = conditional(dir, 0.0, data);
  EXPECT_FALSE(config.model.class_head);
  Trainer trainer(config, data, true);
  EXPECT_EQ(trainer.critic().named_parameters().find("class_head.weight"), nullptr);
  EXPECT_NE(trainer.critic().named_parameters().find("projection.embedding"), nullptr);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wgan
