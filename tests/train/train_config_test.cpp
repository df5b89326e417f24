// The train options: checks that name the flag, the length in steps, the JSON round trip, and how
// the options given with --resume merge into a checkpoint's config (without the CLI).
#include "wgan/run/train_config.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "wgan/util/error.h"

namespace wgan {
namespace {

TEST(TrainConfig, ValidationNamesTheFlag) {
  auto expect_flag = [](TrainConfig c, const std::string& flag) {
    try {
      check_options(c, torch::kCPU);
      check_image_shape(c.model);  // the data's shape, checked once it is loaded
      ADD_FAILURE() << flag << " accepted";
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find(flag), std::string::npos) << e.what();
    }
  };
  TrainConfig c;
  c.batch = 0;
  expect_flag(c, "--batch");
  c = TrainConfig();
  c.loss = "hinge";
  expect_flag(c, "--loss");
  c = TrainConfig();
  c.model.resolution = 100;
  expect_flag(c, "--resolution");
  c = TrainConfig();
  c.ema_kimg = -1;  // a range from the table's range column
  expect_flag(c, "--ema-kimg");
  c = TrainConfig();
  c.steps = 10;
  c.kimg = 5.0;
  expect_flag(c, "--kimg");
}

TEST(TrainConfig, LengthResolvesToGeneratorSteps) {
  TrainConfig c;
  c.batch = 50;
  c.kimg = 1.0;  // 1000 real images / (50 * 5 per step) = 4 steps
  resolve(c, 1000);
  EXPECT_EQ(c.total_steps, 4);
  TrainConfig e;
  e.batch = 50;
  e.epochs = 2.0;  // 2 * 20 batches / 5 = 8 steps
  resolve(e, 1000);
  EXPECT_EQ(e.total_steps, 8);
  auto round_trip = train_config_from_json(to_json(e));
  EXPECT_EQ(to_json(round_trip), to_json(e));
}

TEST(TrainConfig, ANewRunIsTheDefaultsPlusWhatWasGiven) {
  TrainOverrides given;
  given.batch = 32;
  given.lr = 3e-4;
  given.model.width = 16;
  given.model.arch = "seed";  // the old name of --arch blog
  const TrainConfig c = new_run_config(given);
  EXPECT_EQ(c.batch, 32);
  EXPECT_NEAR(*c.lr, 3e-4, 1e-12);
  EXPECT_EQ(c.model.width, 16);
  EXPECT_EQ(c.model.arch, "blog");
  EXPECT_EQ(c.loss, TrainConfig().loss);  // not given: the default
  EXPECT_FALSE(c.n_critic.has_value());   // not given: the loss's, at resolve()
}

TEST(TrainConfig, ResumeKeepsTheCheckpointAndAppliesWhatMayChange) {
  TrainConfig saved;
  saved.batch = 16;
  saved.kimg = 50.0;
  saved.log_every = 10;
  saved.model.width = 24;
  resolve(saved, 0);
  TrainOverrides given;
  given.steps = 900;         // a new length replaces the saved one, whichever kind it was
  given.log_every = 5;       // resumable
  given.metrics = "swd";     // resumable
  given.ada_kimg = 100.0;    // resumable: how fast ada's p moves (p itself is in the checkpoint)
  const TrainConfig c = resumed_config(saved, given);
  EXPECT_EQ(c.batch, 16);
  EXPECT_EQ(c.model.width, 24);
  EXPECT_FALSE(c.kimg.has_value());
  EXPECT_EQ(*c.steps, 900);
  EXPECT_EQ(c.log_every, 5);
  EXPECT_EQ(c.metrics, "swd");
  EXPECT_NEAR(c.ada_kimg, 100.0, 1e-12);
  EXPECT_NEAR(c.ada_target, saved.ada_target, 1e-12);
  EXPECT_NO_THROW(check_options(c, torch::kCPU));  // not two lengths at once

  // Nothing given: the checkpoint's config exactly.
  EXPECT_EQ(to_json(resumed_config(saved, TrainOverrides())), to_json(saved));
}

TEST(TrainConfig, ResumeRefusesWhatTheCheckpointFixesNamingTheFlag) {
  TrainConfig saved;
  resolve(saved, 0);
  auto expect_refused = [&](const TrainOverrides& given, const std::string& flag) {
    try {
      resumed_config(saved, given);
      ADD_FAILURE() << flag << " was changed on resume";
    } catch (const UserError& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.rfind(flag + " cannot be changed when resuming", 0), 0u) << message;
      // The message lists every flag that may change, from the option table.
      for (const auto& allowed : resumable_flags()) EXPECT_NE(message.find(allowed), std::string::npos) << allowed;
    }
  };
  TrainOverrides batch;
  batch.batch = 8;
  expect_refused(batch, "--batch");
  TrainOverrides lr;
  lr.lr = 1e-3;
  expect_refused(lr, "--lr");
  TrainOverrides width;
  width.model.width = 8;
  expect_refused(width, "--width");
  TrainOverrides nrow;
  nrow.grid_nrow = 4;
  expect_refused(nrow, "--nrow");
  TrainOverrides augment;
  augment.augment = "cutout";
  expect_refused(augment, "--augment");
}

TEST(TrainConfig, TheResumableFlagsComeFromTheTable) {
  const auto flags = resumable_flags();
  auto has = [&](const std::string& flag) { return std::find(flags.begin(), flags.end(), flag) != flags.end(); };
  for (const char* flag : {"--steps", "--kimg", "--epochs", "--threads", "--device", "--precision", "--cuda-graph",
                           "--run-dir", "--log-every", "--metrics", "--metrics-every", "--inception",
                           "--ada-target", "--ada-kimg"})
    EXPECT_TRUE(has(flag)) << flag;
  for (const char* flag : {"--batch", "--loss", "--lr", "--seed", "--data", "--xflip", "--nrow", "--augment"})
    EXPECT_FALSE(has(flag)) << flag;
}

TEST(TrainConfig, CpuDefaultsApplyOnlyToWhatWasNotGiven) {
  TrainOverrides given;
  given.lr = 5e-4;
  TrainConfig c = new_run_config(given);
  apply_cpu_defaults(c, given, torch::kCPU);
  EXPECT_EQ(c.model.width, kCpuDefaultWidth);
  EXPECT_NEAR(*c.lr, 5e-4, 1e-12);
  TrainOverrides blog;
  blog.model.arch = "blog";
  TrainConfig b = new_run_config(blog);
  apply_cpu_defaults(b, blog, torch::kCPU);
  EXPECT_EQ(b.model.width, TrainConfig().model.width);  // the blog post's networks keep their width
  EXPECT_FALSE(b.lr.has_value());
}

TEST(TrainConfig, OldCheckpointsSayingSeedReadAsBlog) {
  TrainConfig c;
  c.model.arch = "seed";
  EXPECT_EQ(train_config_from_json(to_json(c)).model.arch, "blog");
}

}  // namespace
}  // namespace wgan
