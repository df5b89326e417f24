// The stream of training statistics: sums on the device, one read, means per name, the first
// non-finite name; and the values a run reports, as metrics.jsonl and the progress line show them.
#include "wgan/train/training_stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>

#include "wgan/train/stats_sinks.h"
#include "wgan/train/trainer.h"
#include "wgan/util/atomic_file.h"
#include "../support/train_fixtures.h"

namespace wgan {
namespace {

TEST(TrainingStats, SumsReportsUntilAReadAndAveragesPerName) {
  TrainingStats stats(torch::kCPU);
  for (int step = 1; step <= 3; ++step) {
    stats.report("loss", torch::tensor(static_cast<float>(step)), "L");
    stats.report("loss", torch::tensor(10.0f));  // a second report in the same step
    stats.report("norm", torch::tensor(0.5 * step, torch::kFloat64));
    stats.end_step();
  }
  EXPECT_TRUE(stats.unread());
  EXPECT_FALSE(stats.read().has_value());
  EXPECT_FALSE(stats.unread());
  const auto window = stats.take_window();
  EXPECT_EQ(window.steps, 3);
  EXPECT_NEAR(window.mean("loss"), (1 + 2 + 3 + 30) / 6.0, 1e-12);
  EXPECT_NEAR(window.sums.at("loss").count, 6, 1e-12);
  EXPECT_NEAR(window.mean("norm"), 1.0, 1e-12);
  EXPECT_TRUE(std::isnan(window.mean("never reported")));
  // The read zeroed the device sums: the next window holds only what came after it.
  stats.report("loss", torch::tensor(4.0f));
  stats.end_step();
  stats.read();
  EXPECT_NEAR(stats.take_window().mean("loss"), 4.0, 1e-12);
  // Only labelled names are on the progress line, in the order they were first reported.
  const auto labels = stats.progress_labels();
  ASSERT_EQ(labels.size(), 1u);
  EXPECT_EQ(labels[0].first, "loss");
  EXPECT_EQ(labels[0].second, "L");
}

TEST(TrainingStats, ReadNamesTheFirstNonFiniteValue) {
  TrainingStats stats(torch::kCPU);
  stats.report("fine", torch::tensor(1.0f));
  stats.report("bad", torch::tensor(std::numeric_limits<float>::infinity()));
  stats.report("worse", torch::tensor(std::numeric_limits<float>::quiet_NaN()));
  stats.end_step();
  const auto bad = stats.read();
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->name, "bad");
  EXPECT_TRUE(std::isinf(bad->value));
}

TEST(StatsSinks, MetricsLineAndProgressDetailShowEveryReportedName) {
  StatsWindow window;
  window.steps = 2;
  window.sums["critic_loss"] = {-3.0, 2};
  window.sums["real_score"] = {5.0, 4};
  LogLine line;
  line.step = 7;
  line.kimg = 0.5;
  line.window = window;
  line.extras["augment_p"] = 0.25;
  const auto json = metrics_json(line);
  EXPECT_EQ(json["step"].get<int64_t>(), 7);
  EXPECT_NEAR(json["critic_loss"].get<double>(), -1.5, 1e-12);
  EXPECT_NEAR(json["real_score"].get<double>(), 1.25, 1e-12);
  EXPECT_NEAR(json["augment_p"].get<double>(), 0.25, 1e-12);
  EXPECT_FALSE(json.contains("fake_score"));
  EXPECT_EQ(progress_detail(window, {{"critic_loss", "D"}, {"fake_score", "fake"}, {"real_score", "real"}}),
            "D -1.500 real 1.250");
}

// The values the step reports, through a real run: the critic's mean scores on real and generated
// images agree with the Wasserstein estimate, the penalty's interpolates have a gradient norm, and
// the progress line shows them.
class StatsRunTest : public test_support::DeterministicTest {};

TEST_F(StatsRunTest, ARunLogsTheCriticScoresAndThePenaltyGradientNorm) {
  const auto dir = test_support::fresh_dir("stats_run");
  auto data = test_support::square_dataset(64);
  Trainer trainer(test_support::tiny_config(dir, 3), data, true);
  trainer.run();
  std::istringstream lines(read_file((std::filesystem::path(dir) / "metrics.jsonl").string()));
  std::string text;
  int count = 0;
  while (std::getline(lines, text)) {
    const auto line = nlohmann::json::parse(text);
    if (!line.contains("wasserstein")) continue;
    ++count;
    const double real = line["real_score"], fake = line["fake_score"], w = line["wasserstein"];
    EXPECT_NEAR(real - fake, w, 1e-5 * (1 + std::abs(w))) << text;
    // mean |grad| near 1 makes a small penalty; lambda 10 times the mean squared deviation.
    const double norm = line["penalty_grad_norm"];
    EXPECT_GT(norm, 0) << text;
    EXPECT_LT(norm, 1e3) << text;
    EXPECT_GT(line["critic_grad_norm"].get<double>(), 0) << text;
    EXPECT_GT(line["generator_grad_norm"].get<double>(), 0) << text;
  }
  EXPECT_EQ(count, 3);
  const auto suffix = trainer.progress_suffix();
  for (const char* label : {" D ", " W ", " GP ", " G ", " real ", " fake ", " |grad| "})
    EXPECT_NE(suffix.find(label), std::string::npos) << label << " in " << suffix;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wgan
