// `wgan prepare` and `wgan train --data` end to end through the executable.
#include <gtest/gtest.h>

#include <filesystem>

#include "wgan/data/training_data.h"
#include "wgan/io/image_grid.h"
#include "wgan/run/checkpoint.h"
#include "../support/run_cli.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

// first: exit code, second: output.
std::pair<int, std::string> run(const std::string& args) {
  auto r = test_support::run_cli(args);
  return {r.code, r.output};
}

class PrepareCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("wgan_prepare_cli_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "images" / "class_a");
    torch::manual_seed(0);
    for (int i = 0; i < 24; ++i) {
      auto image = (torch::rand({48, 40, 3}) * 255).to(torch::kUInt8);
      write_png((root_ / "images" / "class_a" / ("img" + std::to_string(i) + ".png")).string(), image);
    }
    std::FILE* f = std::fopen((root_ / "images" / "broken.png").c_str(), "w");
    std::fputs("garbage", f);
    std::fclose(f);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(PrepareCliTest, PrepareThenTrainOnTheDataset) {
  if (!WGAN_HAVE_OPENCV) GTEST_SKIP() << "built without OpenCV";
  const auto dataset = (root_ / "ds").string();
  auto prepared = run("prepare " + (root_ / "images").string() + " --out " + dataset + " --resolution 32 --quiet");
  ASSERT_EQ(prepared.first, 0) << prepared.second;
  EXPECT_NE(prepared.second.find("broken.png"), std::string::npos) << prepared.second;
  EXPECT_EQ(load_prepared_dataset(dataset).images.sizes(), torch::IntArrayRef({24, 32, 32, 3}));

  auto mismatch = run("train --data " + dataset + " --resolution 64 --run-dir " + (root_ / "r0").string());
  EXPECT_NE(mismatch.first, 0);
  EXPECT_NE(mismatch.second.find("--resolution"), std::string::npos) << mismatch.second;

  const auto run_dir = (root_ / "r1").string();
  auto trained = run("train --data " + dataset +
                     " --xflip --width 8 --batch 8 --steps 2 --threads 1 --quiet --run-dir " + run_dir);
  ASSERT_EQ(trained.first, 0) << trained.second;
  CheckpointReader reader(list_checkpoints(run_dir).front());
  EXPECT_EQ(reader.config().model.channels, 3);
  EXPECT_TRUE(reader.config().xflip);
}

TEST_F(PrepareCliTest, TrainOnAFolderPreparesIntoTheRun) {
  if (!WGAN_HAVE_OPENCV) GTEST_SKIP() << "built without OpenCV";
  const auto run_dir = (root_ / "r2").string();
  auto trained = run("train --data " + (root_ / "images").string() +
                     " --resolution 32 --width 8 --batch 8 --steps 1 --threads 1 --run-dir " + run_dir);
  ASSERT_EQ(trained.first, 0) << trained.second;
  EXPECT_NE(trained.second.find("preparing"), std::string::npos) << trained.second;
  EXPECT_TRUE(fs::exists(fs::path(run_dir) / "dataset" / "manifest.json"));
}

TEST_F(PrepareCliTest, BadArgumentsAreOneLineErrors) {
  auto missing = run("prepare /nonexistent-folder --out " + (root_ / "x").string());
  EXPECT_NE(missing.first, 0);
  EXPECT_NE(missing.second.find("/nonexistent-folder"), std::string::npos) << missing.second;
  auto crop = run("prepare " + (root_ / "images").string() + " --out " + (root_ / "x").string() + " --crop big");
  EXPECT_NE(crop.first, 0);
  EXPECT_NE(crop.second.find("--crop"), std::string::npos) << crop.second;
  auto data = run("train --data " + (root_ / "nothing-here").string() + " --run-dir " + (root_ / "r3").string());
  EXPECT_NE(data.first, 0);
  EXPECT_NE(data.second.find("--data"), std::string::npos) << data.second;
}

}  // namespace
}  // namespace wgan
