// --augment: every transform is differentiable (finite differences in float64), keeps values in
// [-1, 1], changes the images it is applied to and only those, and is the identity at p = 0; a run
// with it trains, logs its p and resumes exactly; `wgan augment` draws what the critic sees.
#include "wgan/augment/augment.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "wgan/io/image_grid.h"
#include "wgan/run/checkpoint.h"
#include "wgan/train/trainer.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"
#include "../support/run_cli.h"
#include "../support/train_fixtures.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

using Transform = torch::Tensor (*)(const torch::Tensor&, const torch::Tensor&);
const std::vector<std::pair<const char*, Transform>> kTransforms = {
    {"color", augment_color}, {"translation", augment_translation}, {"cutout", augment_cutout}};

torch::Tensor images(int64_t n, int64_t channels, int64_t side, torch::Dtype dtype = torch::kFloat32) {
  torch::manual_seed(21);
  return (torch::rand({n, channels, side, side}, torch::TensorOptions().dtype(dtype)) * 2 - 1);
}

TEST(Augment, ListNamesTheTransformsAndRejectsOthersNamingTheFlag) {
  EXPECT_TRUE(parse_augment_list("").empty());
  EXPECT_TRUE(parse_augment_list("none").empty());
  const auto all = parse_augment_list("color,translation,cutout,color");
  ASSERT_EQ(all.size(), 3u);  // a repeat counts once
  EXPECT_EQ(all[0], AugmentKind::kColor);
  EXPECT_EQ(all[2], AugmentKind::kCutout);
  try {
    parse_augment_list("color,rotate");
    FAIL() << "rotate accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("--augment"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("rotate"), std::string::npos) << e.what();
  }
}

TEST(Augment, EachTransformChangesOnlyTheImagesItIsAppliedToAndStaysInRange) {
  const auto x = images(8, 3, 16);
  const auto apply = torch::tensor({true, false, true, false, true, false, true, false});
  for (const auto& [name, transform] : kTransforms) {
    torch::manual_seed(3);
    const auto y = transform(x, apply);
    EXPECT_EQ(y.sizes(), x.sizes()) << name;
    EXPECT_GE(y.min().item<double>(), -1.0) << name;
    EXPECT_LE(y.max().item<double>(), 1.0) << name;
    for (int64_t i = 0; i < 8; ++i) {
      const double change = (y[i] - x[i]).abs().max().item<double>();
      if (i % 2 == 0)
        EXPECT_GT(change, 1e-3) << name << " left image " << i << " unchanged";
      else
        EXPECT_NEAR(change, 0.0, 0.0) << name << " changed image " << i << " it was not applied to";
    }
  }
}

TEST(Augment, TranslationShiftsWithZeroPaddingAndCutoutZerosHalfTheSide) {
  const auto x = torch::ones({64, 1, 16, 16});
  const auto all = torch::ones({64}, torch::kBool);
  torch::manual_seed(4);
  const auto moved = augment_translation(x, all);
  // A shift of at most 16/8 = 2 pixels: zeros only in border bands of at most 2 rows or columns.
  EXPECT_NEAR(moved.narrow(2, 2, 12).narrow(3, 2, 12).min().item<double>(), 1.0, 0.0);
  EXPECT_LT(moved.min().item<double>(), 0.5);  // some image did move
  torch::manual_seed(4);
  const auto cut = augment_cutout(x, all);
  const auto zeros_per_image = (cut == 0).sum({1, 2, 3}).to(torch::kFloat64);
  EXPECT_LE(zeros_per_image.max().item<double>(), 64.0);  // an 8x8 square at most
  EXPECT_GE(zeros_per_image.max().item<double>(), 64.0);  // and a whole one somewhere
  EXPECT_GT(zeros_per_image.min().item<double>(), 0.0);   // never entirely outside
}

TEST(Augment, EveryTransformIsDifferentiable) {
  // Central differences in float64 against autograd, with the same random draws each call.
  auto x = images(2, 3, 8, torch::kFloat64) * 0.3;
  const auto all = torch::ones({2}, torch::kBool);
  torch::manual_seed(8);
  const auto weights = torch::randn_like(x);
  for (const auto& [name, transform] : kTransforms) {
    auto f = [&, transform = transform](const torch::Tensor& input) {
      torch::manual_seed(5);
      return (transform(input, all) * weights).sum();
    };
    auto leaf = x.clone().requires_grad_(true);
    f(leaf).backward();
    const auto analytic = leaf.grad().reshape({-1});
    auto flat = x.clone().reshape({-1});
    double worst = 0, largest = 0;
    for (int64_t k = 0; k < flat.numel(); k += 7) {
      const double eps = 1e-6;
      auto plus = flat.clone(), minus = flat.clone();
      plus[k] += eps;
      minus[k] -= eps;
      const double numeric =
          (f(plus.view_as(x)).item<double>() - f(minus.view_as(x)).item<double>()) / (2 * eps);
      worst = std::max(worst, std::abs(numeric - analytic[k].item<double>()));
      largest = std::max(largest, std::abs(numeric));
    }
    EXPECT_NEAR(worst, 0.0, 1e-6) << name;
    EXPECT_GT(largest, 0.1) << name << ": no gradient reaches the input";
  }
}

TEST(Augment, ProbabilityZeroIsTheIdentityAndHalfAppliesToAboutHalf) {
  const auto x = images(2000, 1, 8);
  const auto kinds = parse_augment_list("color,translation,cutout");
  EXPECT_TRUE(torch::equal(augment(x, kinds, torch::full({}, 0.0)), x));
  const auto half = augment(x, {AugmentKind::kCutout}, torch::full({}, 0.5));
  const double changed = ((half - x).abs().amax({1, 2, 3}) > 0).to(torch::kFloat64).mean().item<double>();
  EXPECT_NEAR(changed, 0.5, 0.05);
  const auto always = augment(x, kinds, torch::full({}, 1.0));
  EXPECT_GE(always.min().item<double>(), -1.0);
  EXPECT_LE(always.max().item<double>(), 1.0);
}

class AugmentTraining : public test_support::DeterministicTest {
 protected:
  ImageDataset data_ = test_support::square_dataset(64);
  TrainConfig config(const std::string& dir, int64_t steps) {
    auto c = test_support::tiny_config(dir, steps);
    c.augment = "color,translation,cutout";
    c.augment_p = 0.5;
    return c;
  }
};

TEST_F(AugmentTraining, TrainsLogsItsProbabilityAndResumesExactly) {
  const auto straight_dir = test_support::fresh_dir("augment_straight"), split_dir = test_support::fresh_dir("augment_split");
  Trainer straight(config(straight_dir, 6), data_, true);
  straight.run();
  Trainer first(config(split_dir, 3), data_, true);
  first.run();
  TrainerSetup resumed;
  resumed.quiet = true;
  resumed.resume_from = checkpoint_path(split_dir, 3);
  Trainer second(config(split_dir, 6), data_, resumed);
  second.run();
  auto ps = straight.generator().parameters(), qs = second.generator().parameters();
  double worst = 0;
  for (size_t i = 0; i < ps.size(); ++i) worst = std::max(worst, (ps[i] - qs[i]).abs().max().item<double>());
  EXPECT_NEAR(worst, 0.0, 1e-6);
  // Augmentation did change the training: the same run without it ends elsewhere.
  auto plain_config = config(test_support::fresh_dir("augment_plain"), 6);
  plain_config.augment = "";
  Trainer plain(plain_config, data_, true);
  plain.run();
  auto rs = plain.generator().parameters();
  double apart = 0;
  for (size_t i = 0; i < ps.size(); ++i) apart = std::max(apart, (ps[i] - rs[i]).abs().max().item<double>());
  EXPECT_GT(apart, 1e-4);
  std::ifstream log(fs::path(straight_dir) / "metrics.jsonl");
  std::string line;
  std::getline(log, line);
  EXPECT_NEAR(nlohmann::json::parse(line)["augment_p"].get<double>(), 0.5, 1e-12);
  for (const auto& dir : {straight_dir, split_dir, plain_config.run_dir}) fs::remove_all(dir);
}

TEST(AugmentCli, PreviewGridAndBadFlags) {
  if (!fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const auto dir = test_support::fresh_dir("augment_cli");
  const auto grid = dir + "/seen.png";
  auto r = test_support::run_cli("augment --num 16 --nrow 8 --grid " + grid);
  ASSERT_EQ(r.code, 0) << r.output;
  // 16 images in rows of 8, each row followed by its augmented copy: 4 rows of 32x32 cells, padding 1.
  const auto png = read_image(grid);
  EXPECT_EQ(png.size(0), 4 * 33 + 1);
  EXPECT_EQ(png.size(1), 8 * 33 + 1);
  auto bad = test_support::run_cli("train --augment rotate --dry-run --run-dir " + dir + "/run");
  EXPECT_EQ(bad.code, 1) << bad.output;
  EXPECT_NE(bad.output.find("--augment"), std::string::npos) << bad.output;
  auto bad_p = test_support::run_cli("train --augment color --augment-p 1.5 --dry-run --run-dir " + dir + "/run");
  EXPECT_EQ(bad_p.code, 1) << bad_p.output;
  EXPECT_NE(bad_p.output.find("--augment-p"), std::string::npos) << bad_p.output;
  // A --grid whose folder cannot be made (a file stands in its way): one error naming that folder.
  std::ofstream(dir + "/blocker") << "a file, not a folder";
  auto blocked = test_support::run_cli("augment --num 4 --grid " + dir + "/blocker/sub/seen.png");
  EXPECT_EQ(blocked.code, 1) << blocked.output;
  EXPECT_NE(blocked.output.find(dir + "/blocker/sub"), std::string::npos) << blocked.output;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace wgan
