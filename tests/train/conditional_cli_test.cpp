// Class-conditional training end to end through the executable: a folder of class subfolders
// (names with a space and non-ASCII letters), prepare, train --cond, resume, sample --class.
#include <gtest/gtest.h>

#include <filesystem>

#include "wgan/data/image_decode.h"
#include "wgan/io/image_grid.h"
#include "wgan/util/atomic_file.h"
#include "../support/run_cli.h"
#include "../support/train_fixtures.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

using test_support::run_cli;

const char* kTiny = " --width 8 --latent-dim 16 --batch 8 --threads 1 --device cpu --quiet";

// Bright or dark 24x24 squares, so the two classes differ.
void write_class(const fs::path& dir, int count, double level) {
  fs::create_directories(dir);
  torch::manual_seed(static_cast<uint64_t>(level * 100));
  for (int i = 0; i < count; ++i) {
    auto image = (torch::rand({24, 24, 3}) * 40 + level * 200).clamp(0, 255).to(torch::kUInt8);
    write_png((dir / ("img" + std::to_string(i) + ".png")).string(), image);
  }
}

ImageHeader png_header(const fs::path& path) { return sniff_header(read_file(path.string())); }

TEST(ConditionalCli, SubfoldersTrainConditionallyAndSampleByClassName) {
  if (!WGAN_HAVE_OPENCV) GTEST_SKIP() << "built without OpenCV";
  const fs::path root = test_support::fresh_dir("cond_cli");
  write_class(root / "src" / "two words", 16, 0.9);
  write_class(root / "src" / "Ünïcode ß", 16, 0.1);
  const std::string ds = (root / "ds").string(), run = (root / "run").string();

  auto prepared = run_cli("prepare '" + (root / "src").string() + "' --out " + ds + " --resolution 32 --channels 1 --quiet");
  ASSERT_EQ(prepared.code, 0) << prepared.output;
  EXPECT_NE(prepared.output.find("2 classes"), std::string::npos) << prepared.output;

  auto trained = run_cli("train --data " + ds + " --cond --steps 4 --sample-every 4 --run-dir " + run + kTiny);
  ASSERT_EQ(trained.code, 0) << trained.output;
  EXPECT_NE(trained.output.find("conditional on 2 classes"), std::string::npos) << trained.output;
  // The training grid: one row per class, --nrow (8) columns of 32 + 1 padding.
  const auto grid = png_header(fs::path(run) / "samples" / "000004.png");
  EXPECT_EQ(grid.width, 8 * 33 + 1);
  EXPECT_EQ(grid.height, 2 * 33 + 1);

  auto resumed = run_cli("train --resume " + run + " --steps 6 --quiet");
  ASSERT_EQ(resumed.code, 0) << resumed.output;

  auto by_name = run_cli("sample --checkpoint " + run + " --class 'Ünïcode ß' --num 3 --out " + (root / "imgs").string());
  ASSERT_EQ(by_name.code, 0) << by_name.output;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(fs::exists(root / "imgs" / ("class001_00000" + std::to_string(i) + ".png")));
  auto both = run_cli("sample --checkpoint " + run + " --class 'two words,1' --num 2 --nrow 4 --grid " +
                      (root / "both.png").string());
  ASSERT_EQ(both.code, 0) << both.output;
  EXPECT_EQ(png_header(root / "both.png").height, 2 * 33 + 1);  // each class on its own row
  auto every = run_cli("sample --checkpoint " + run + " --grid " + (root / "every.png").string());
  ASSERT_EQ(every.code, 0) << every.output;
  EXPECT_EQ(png_header(root / "every.png").height, 2 * 33 + 1);

  auto unknown = run_cli("sample --checkpoint " + run + " --class cats --grid " + (root / "x.png").string());
  EXPECT_NE(unknown.code, 0);
  EXPECT_NE(unknown.output.find("--class 'cats'"), std::string::npos) << unknown.output;
  EXPECT_NE(unknown.output.find("Ünïcode ß"), std::string::npos) << unknown.output;  // lists the classes
  fs::remove_all(root);
}

TEST(ConditionalCli, CondIsRefusedWithoutClassesAndClassWithoutCond) {
  if (!WGAN_HAVE_OPENCV) GTEST_SKIP() << "built without OpenCV";
  const fs::path root = test_support::fresh_dir("cond_refused");
  write_class(root / "flat", 16, 0.5);
  const std::string ds = (root / "ds").string(), run = (root / "run").string();
  ASSERT_EQ(run_cli("prepare " + (root / "flat").string() + " --out " + ds + " --resolution 32 --quiet").code, 0);
  auto refused = run_cli("train --data " + ds + " --cond --steps 2 --run-dir " + run + kTiny);
  EXPECT_NE(refused.code, 0);
  EXPECT_NE(refused.output.find("--cond needs classes"), std::string::npos) << refused.output;

  ASSERT_EQ(run_cli("train --data " + ds + " --steps 2 --run-dir " + run + kTiny).code, 0);
  auto no_classes = run_cli("sample --checkpoint " + run + " --class 0 --grid " + (root / "x.png").string());
  EXPECT_NE(no_classes.code, 0);
  EXPECT_NE(no_classes.output.find("unconditional"), std::string::npos) << no_classes.output;
  fs::remove_all(root);
}

}  // namespace
}  // namespace wgan
