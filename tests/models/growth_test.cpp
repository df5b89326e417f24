// Progressive growing: the phases as a function of the images seen, networks that run at each
// phase's side, and a grown network that is exactly its architecture's own.
#include "wgan/models/growth.h"

#include <gtest/gtest.h>

#include "wgan/models/architecture.h"
#include "wgan/models/networks.h"
#include "wgan/util/error.h"

namespace wgan {
namespace {

TEST(Growth, ThePhasesFollowTheImagesSeen) {
  const GrowthSchedule schedule(8, 32, 1000.0);  // 8, fade 16, 16, fade 32, 32
  EXPECT_EQ(schedule.doublings(), 2);
  auto expect = [&](int64_t images, int64_t side, double alpha) {
    const auto phase = schedule.at(images);
    EXPECT_EQ(phase.resolution, side) << images;
    EXPECT_NEAR(phase.alpha, alpha, 1e-12) << images;
  };
  expect(0, 8, 1.0);
  expect(999, 8, 1.0);
  expect(1000, 16, 0.0);  // the fade-in of 16 starts
  expect(1250, 16, 0.25);
  expect(2000, 16, 1.0);
  expect(2999, 16, 1.0);
  expect(3500, 32, 0.5);
  expect(4000, 32, 1.0);
  expect(1000000, 32, 1.0);
  EXPECT_NEAR(schedule.grown_after(), 4000.0, 1e-9);
  // Without --grow-kimg: 2 * 2 + 2 = 6 shares of the run's images.
  EXPECT_NEAR(default_images_per_phase(8, 32, 6000.0), 1000.0, 1e-9);
}

TEST(Growth, ATimeBudgetGivesThePhasesTheLengthThatFillsIt) {
  // 8: one phase; 16: fade-in and stable; 32: its fade-in. 1 + 2 * 2 + 4 = 9 ms per image of every phase.
  const std::map<int64_t, double> seconds_per_image = {{8, 1e-3}, {16, 2e-3}, {32, 4e-3}};
  const double images = images_per_phase_for_time(8, 32, seconds_per_image, 90.0);
  EXPECT_NEAR(images, 10000.0, 1e-6);
  // Where the schedule grows fully: 4 phases of that length, timed at the sides above.
  const GrowthSchedule schedule(8, 32, images);
  EXPECT_NEAR(schedule.grown_after(), 4 * images, 1e-6);
  EXPECT_EQ(schedule.at(static_cast<int64_t>(4 * images) - 1).resolution, 32);
  EXPECT_NEAR(images_per_phase_for_time(8, 32, seconds_per_image, 0.0), 1.0, 1e-12);  // at least one image
  EXPECT_THROW(images_per_phase_for_time(8, 64, seconds_per_image, 90.0), std::out_of_range);  // 64 not timed
}

ModelConfig growing_model(int64_t grow_from) {
  ModelConfig c;
  c.width = 8;
  c.latent_dim = 16;
  c.resolution = 32;
  c.grow_from = grow_from;
  return c;
}

TEST(Growth, EachPhaseRunsAtItsSideAndTheFadeInBlendsTheTwoPaths) {
  torch::manual_seed(3);
  auto g = make_generator(growing_model(8));
  auto d = make_critic(growing_model(8));
  g->eval();
  torch::NoGradGuard no_grad;
  const auto z = torch::randn({3, 16});
  for (int64_t side : {8, 16, 32}) {
    g->set_growth({side, 1.0}, false);
    d->set_growth({side, 1.0}, false);
    const auto images = g->forward(z);
    EXPECT_EQ(images.sizes(), (std::vector<int64_t>{3, 1, side, side}));
    EXPECT_EQ(d->forward(images).sizes(), (std::vector<int64_t>{3}));
    EXPECT_THROW(d->forward(torch::zeros({3, 1, 2 * side, 2 * side})), UserError);  // the wrong side
  }
  // Fading in 16: alpha 0 is the 8x8 image upsampled, alpha 1 the 16x16 one, and in between the mix.
  g->set_growth({8, 1.0}, false);
  const auto old_path = upsample_nearest_2x(g->forward(z));
  g->set_growth({16, 1.0}, false);
  const auto new_path = g->forward(z);
  g->set_growth({16, 0.0}, false);
  EXPECT_NEAR((g->forward(z) - old_path).abs().max().item<double>(), 0.0, 1e-6);
  g->set_growth({16, 0.3}, false);
  EXPECT_NEAR((g->forward(z) - (0.7 * old_path + 0.3 * new_path)).abs().max().item<double>(), 0.0, 1e-5);
  // With final_size a low phase's images come at the final side.
  g->set_growth({8, 1.0}, true);
  EXPECT_EQ(g->forward(z).size(2), 32);
  // The critic's fade: alpha 0 reads the image through the previous side's input layer.
  const auto images = torch::rand({3, 1, 16, 16}) * 2 - 1;
  d->set_growth({8, 1.0}, false);
  const auto old_score = d->forward(torch::avg_pool2d(images, 2));
  d->set_growth({16, 0.0}, false);
  EXPECT_NEAR((d->forward(images) - old_score).abs().max().item<double>(), 0.0, 1e-5);
}

TEST(Growth, AGrownNetworkIsItsArchitecturesOwnAndRefusesOtherArchitectures) {
  torch::manual_seed(4);
  auto grown_g = make_generator(growing_model(8));
  auto grown_d = make_critic(growing_model(8));
  auto plain_g = make_generator(growing_model(0));
  auto plain_d = make_critic(growing_model(0));
  // The plain networks' every parameter exists in the grown ones under the same name.
  auto copy_named = [](torch::nn::Module& from, torch::nn::Module& to) {
    torch::NoGradGuard no_grad;
    const auto source = from.named_parameters();
    for (auto& item : to.named_parameters()) item.value().copy_(source[item.key()]);
    const auto buffers = from.named_buffers();
    for (auto& item : to.named_buffers()) item.value().copy_(buffers[item.key()]);
  };
  copy_named(*grown_g, *plain_g);
  copy_named(*grown_d, *plain_d);
  EXPECT_GT(grown_g->parameters().size(), plain_g->parameters().size());  // the lower sides' layers
  grown_g->eval();
  plain_g->eval();
  torch::NoGradGuard no_grad;
  const auto z = torch::randn({4, 16});
  grown_g->set_growth({32, 1.0}, false);
  EXPECT_TRUE(torch::equal(grown_g->forward(z), plain_g->forward(z)));
  const auto images = torch::rand({4, 1, 32, 32}) * 2 - 1;
  grown_d->set_growth({32, 1.0}, false);
  EXPECT_TRUE(torch::equal(grown_d->forward(images), plain_d->forward(images)));

  auto resnet = growing_model(8);
  resnet.arch = "resnet";
  EXPECT_THROW(validate(resnet), UserError);
  auto odd = growing_model(12);
  EXPECT_THROW(validate(odd), UserError);
  auto too_big = growing_model(32);
  EXPECT_THROW(validate(too_big), UserError);  // not below the resolution
}

}  // namespace
}  // namespace wgan
