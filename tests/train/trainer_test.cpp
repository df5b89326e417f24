#include "wgan/train/trainer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "wgan/train/sampling.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

// A small synthetic dataset: bright squares of random size on black, 32x32 gray.
ImageDataset square_dataset(int64_t n) {
  torch::manual_seed(99);
  auto images = torch::zeros({n, 32, 32, 1}, torch::kUInt8);
  auto sizes = torch::randint(4, 14, {n});
  for (int64_t i = 0; i < n; ++i) {
    const int64_t s = sizes[i].item<int64_t>();
    images[i].narrow(0, 16 - s, 2 * s).narrow(1, 16 - s, 2 * s).fill_(220);
  }
  return {images, "squares"};
}

std::string fresh_dir(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("wgan_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir.string();
}

TrainConfig tiny_config(const std::string& run_dir, int64_t steps) {
  TrainConfig c;
  c.model.width = 8;
  c.model.latent_dim = 16;
  c.batch = 8;
  c.steps = steps;
  c.run_dir = run_dir;
  c.log_every = 1;
  c.sample_every = 1000;
  c.checkpoint_every = 1000;
  c.sample_count = 16;
  c.device = "cpu";
  resolve(c, 0);
  return c;
}

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

class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::set_num_threads(1); }  // deterministic CPU reductions
  ImageDataset data_ = square_dataset(64);
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
  Trainer second(tiny_config(split_dir, n + m), data_, true);
  second.resume(checkpoint_path(split_dir, n));
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
  std::atomic<bool> stop{true};
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

TEST_F(TrainerTest, SamplingIsDeterministicPerSeed) {
  const auto dir = fresh_dir("sample");
  Trainer trainer(tiny_config(dir, 1), data_, true);
  trainer.run();
  auto loaded = load_generator(dir, true, torch::kCPU);
  EXPECT_TRUE(loaded.is_ema);
  auto a = generate(*loaded.net, 16, 10, 5, torch::kCPU, 4);
  auto b = generate(*loaded.net, 16, 10, 5, torch::kCPU, 256);
  auto c = generate(*loaded.net, 16, 10, 6, torch::kCPU);
  EXPECT_NEAR((a - b).abs().max().item<double>(), 0.0, 1e-6);  // batch size does not matter
  EXPECT_GT((a - c).abs().max().item<double>(), 1e-5);          // the seed does
  fs::remove_all(dir);
}

TEST(Sampling, SlerpStaysOnTheSphereAndHitsBothEnds) {
  auto a = latent_for_seed(1, 64), b = latent_for_seed(2, 64);
  auto path = slerp_path(a, b, 7);
  ASSERT_EQ(path.sizes(), torch::IntArrayRef({7, 64}));
  EXPECT_NEAR((path[0] - a).abs().max().item<double>(), 0.0, 1e-5);
  EXPECT_NEAR((path[6] - b).abs().max().item<double>(), 0.0, 1e-5);
  // Equal norms at the ends stay nearly equal along the arc; a linear path would sag in the middle.
  auto unit_a = a / a.norm(), unit_b = b / b.norm();
  auto mid = slerp_path(unit_a, unit_b, 3)[1];
  EXPECT_NEAR(mid.norm().item<double>(), 1.0, 1e-5);
  EXPECT_LT(((unit_a + unit_b) / 2).norm().item<double>(), 0.9);
  EXPECT_TRUE(torch::equal(latent_for_seed(1, 64), a));
}

TEST(TrainConfig, ValidationNamesTheFlag) {
  auto expect_flag = [](TrainConfig c, const std::string& flag) {
    try {
      resolve(c, 100);
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
  c.device = "tpu";
  expect_flag(c, "--device");
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

}  // namespace
}  // namespace wgan
