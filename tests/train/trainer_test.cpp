#include "wgan/train/trainer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"
#include "../support/train_fixtures.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

using test_support::fresh_dir;
using test_support::tiny_config;


double max_abs_diff(torch::nn::Module& a, torch::nn::Module& b) {
  double worst = 0;
  auto pb = b.named_parameters();
  for (const auto& p : a.named_parameters()) {
    worst = std::max(worst, (p.value() - pb[p.key()]).abs().max().item<double>());
  }
  auto bb = b.named_buffers();
  for (const auto& p : a.named_buffers()) {
    worst = std::max(worst, (p.value().to(torch::kDouble) - bb[p.key()].to(torch::kDouble)).abs().max().item<double>());
  }
  return worst;
}

class TrainerTest : public test_support::DeterministicTest {
 protected:
  ImageDataset data_ = test_support::square_dataset(64);
};

TEST_F(TrainerTest, ResumeContinuesExactly) {
  const int64_t n = 3, m = 4;
  const auto straight_dir = fresh_dir("straight"), split_dir = fresh_dir("split");

  Trainer straight(tiny_config(straight_dir, n + m), data_, true);
  straight.run();

  Trainer first(tiny_config(split_dir, n), data_, true);
  first.run();
  // Scramble the global RNG: resume must restore it from the checkpoint.
  torch::manual_seed(12345);
  torch::randn({100});
  TrainerSetup resumed;
  resumed.quiet = true;
  resumed.resume_from = checkpoint_path(split_dir, n);
  Trainer second(tiny_config(split_dir, n + m), data_, resumed);
  EXPECT_EQ(second.state().step, n);
  second.run();

  EXPECT_EQ(second.state().step, n + m);
  EXPECT_EQ(second.state().real_batches, straight.state().real_batches);
  EXPECT_NEAR(max_abs_diff(straight.generator(), second.generator()), 0.0, 1e-6);
  EXPECT_NEAR(max_abs_diff(straight.critic(), second.critic()), 0.0, 1e-6);
  EXPECT_NEAR(max_abs_diff(straight.sampling_generator(), second.sampling_generator()), 0.0, 1e-6);
  // And the weights did move: the comparison is not between two untouched networks.
  Trainer untouched(tiny_config(fresh_dir("untouched"), 1), data_, true);
  EXPECT_GT(max_abs_diff(untouched.generator(), straight.generator()), 1e-4);
  fs::remove_all(straight_dir);
  fs::remove_all(split_dir);
}

TEST_F(TrainerTest, WritesRunDirectory) {
  const auto dir = fresh_dir("rundir");
  auto config = tiny_config(dir, 4);
  config.sample_every = 2;
  config.checkpoint_every = 1;
  config.keep_checkpoints = 2;
  Trainer trainer(config, data_, true);
  trainer.run();
  EXPECT_TRUE(fs::exists(fs::path(dir) / "config.json"));
  EXPECT_TRUE(fs::exists(fs::path(dir) / "samples" / "000002.png"));
  EXPECT_TRUE(fs::exists(fs::path(dir) / "samples" / "000004.png"));
  EXPECT_EQ(list_checkpoints(dir).size(), 2u);  // pruned to the newest two
  EXPECT_EQ(list_checkpoints(dir).front(), checkpoint_path(dir, 4));
  auto lines = read_file((fs::path(dir) / "metrics.jsonl").string());
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 4);
  auto first = nlohmann::json::parse(lines.substr(0, lines.find('\n')));
  for (const char* key : {"step", "kimg", "time_s", "images_per_s", "critic_loss", "wasserstein", "penalty"}) {
    EXPECT_TRUE(first.contains(key)) << key;
  }
  auto saved = nlohmann::json::parse(read_file((fs::path(dir) / "config.json").string()));
  EXPECT_EQ(saved["n_critic"].get<int64_t>(), 5);
  EXPECT_NEAR(saved["lr"].get<double>(), 1e-4, 1e-12);
  fs::remove_all(dir);
}

// Between --log-every lines the bar shows the current kimg (not the last line's), and the losses
// it repeats say which step they are from.
TEST_F(TrainerTest, ProgressShowsTheCurrentKimgAndWhenTheLossesWereRead) {
  const auto dir = fresh_dir("progress");
  auto config = tiny_config(dir, 6);
  config.log_every = 4;
  Trainer trainer(config, data_, true);
  trainer.run();  // lines at steps 4 and 6 (the last)
  trainer.train_step();
  trainer.train_step();  // step 8: 8 x 5 critic batches of 8 = 0.32 kimg
  const auto suffix = trainer.progress_suffix();
  EXPECT_NE(suffix.find("kimg 0.3 "), std::string::npos) << suffix;
  EXPECT_NE(suffix.find("at step 6:"), std::string::npos) << suffix;
  fs::remove_all(dir);
}

// Ctrl-C / SIGTERM: the checkpoint, then the grid of the step it stopped at and the report.
TEST_F(TrainerTest, InterruptWritesTheFinalGridAndReport) {
  const auto dir = fresh_dir("interrupt");
  auto config = tiny_config(dir, 100);
  config.sample_every = 50;
  Trainer trainer(config, data_, true);
  for (int i = 0; i < 3; ++i) trainer.train_step();
  StopRequest stop;
  stop.raise(StopRequest::kStop);
  EXPECT_EQ(trainer.run(&stop), Trainer::Outcome::kInterrupted);
  EXPECT_EQ(list_checkpoints(dir).front(), checkpoint_path(dir, 3));
  EXPECT_TRUE(fs::exists(fs::path(dir) / "samples" / "000003.png"));
  const auto report = read_file((fs::path(dir) / "report.html").string());
  EXPECT_NE(report.find("000003"), std::string::npos) << "the report does not show the final grid";
  fs::remove_all(dir);
}

TEST_F(TrainerTest, NanStopsWithStepAndTermAndKeepsTheCheckpoint) {
  const auto dir = fresh_dir("nan");
  Trainer trainer(tiny_config(dir, 2), data_, true);
  trainer.run();
  const auto good = checkpoint_path(dir, 2);
  const auto before = read_file(good);
  {
    torch::NoGradGuard no_grad;
    trainer.critic().parameters().front().fill_(std::numeric_limits<float>::quiet_NaN());
  }
  try {
    trainer.train_step();
    FAIL() << "NaN went unnoticed";
  } catch (const TrainingDiverged& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("step 3"), std::string::npos) << message;
    EXPECT_NE(message.find("critic"), std::string::npos) << message;
    EXPECT_NE(message.find(good), std::string::npos) << message;
  }
  EXPECT_THROW(trainer.save_checkpoint(), TrainingDiverged);
  EXPECT_EQ(read_file(good), before);
  fs::remove_all(dir);
}

TEST_F(TrainerTest, WeightClippingKeepsCriticBounded) {
  auto config = tiny_config(fresh_dir("clip"), 2);
  config.loss = "wgan";
  config.lr.reset();
  config.n_critic.reset();
  resolve(config, 0);
  EXPECT_EQ(*config.n_critic, 5);
  EXPECT_NEAR(*config.lr, 5e-5, 1e-12);
  Trainer trainer(config, data_, true);
  trainer.train_step();
  for (const auto& p : trainer.critic().parameters()) EXPECT_LE(p.abs().max().item<double>(), 0.01 + 1e-7);
  fs::remove_all(config.run_dir);
}

TEST_F(TrainerTest, BadCheckpointsAreUserErrors) {
  const auto dir = fresh_dir("badckpt");
  Trainer trainer(tiny_config(dir, 1), data_, true);
  trainer.run();
  const auto good = checkpoint_path(dir, 1);
  const auto bytes = read_file(good);

  const auto truncated = dir + "/truncated.pt";
  write_file_atomic(truncated, bytes.substr(0, bytes.size() / 2));
  EXPECT_THROW(CheckpointReader{truncated}, UserError);
  const auto foreign = dir + "/foreign.pt";
  write_file_atomic(foreign, "this is not a checkpoint");
  EXPECT_THROW(CheckpointReader{foreign}, UserError);
  EXPECT_THROW(CheckpointReader{dir + "/missing.pt"}, UserError);
  // A LibTorch archive that is not ours.
  const auto other = dir + "/other.pt";
  torch::save(torch::ones({3}), other);
  EXPECT_THROW(CheckpointReader{other}, UserError);

  // The newest checkpoint is truncated: resolving the run directory falls back to the older one.
  write_file_atomic(checkpoint_path(dir, 9), bytes.substr(0, 100));
  EXPECT_EQ(resolve_checkpoint(dir), good);
  EXPECT_EQ(read_file(good), bytes);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace wgan
