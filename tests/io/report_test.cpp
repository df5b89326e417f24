#include "wgan/io/report.h"
#include "wgan/io/report_command.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "wgan/io/image_grid.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

TEST(Report, Base64MatchesKnownValues) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
}

TEST(Report, ChartMapsDataIntoThePlotAndDropsNaN) {
  const auto svg = svg_line_chart("loss <a&b>", "kimg", {0, 1, 2, 3}, {1.0, NAN, 3.0, 2.0}, 420, 220);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("loss &lt;a&amp;b&gt;"), std::string::npos);  // the title is escaped
  // Plot box: x from 56 to 408 (420 - 12), y from 26 (max) to 186 (min). Three finite points:
  // (0, 1) -> bottom left, (2, 3) -> top, (3, 2) -> right edge, half height.
  const auto pts = svg.substr(svg.find("points=\"") + 8);
  EXPECT_EQ(pts.substr(0, pts.find('"')), "56,186 290.7,26 408,106 ");
}

TEST(Report, GrowthPhasesAreMarkedWhereTheyBegin) {
  // Lines of a --grow run: 8x8, 16x16 fading in from kimg 2, faded in at 4, 32x32 from 6.
  const std::vector<double> kimg = {1, 2, 3, 4, 5, 6, 7, 8};
  const std::vector<double> resolution = {8, 16, 16, 16, 16, 32, 32, 32};
  const std::vector<double> fade_in = {1, 0.1, 0.6, 1, 1, 0.2, 1, 1};
  const auto marks = growth_marks(kimg, resolution, fade_in);
  ASSERT_EQ(marks.size(), 4u);
  const std::vector<std::pair<double, std::string>> expected = {
      {2, "16x16 fades in"}, {4, "16x16"}, {6, "32x32 fades in"}, {7, "32x32"}};
  for (size_t i = 0; i < marks.size(); ++i) {
    EXPECT_NEAR(marks[i].x, expected[i].first, 1e-12);
    EXPECT_EQ(marks[i].label, expected[i].second);
  }
  EXPECT_TRUE(growth_marks(kimg, std::vector<double>(8, NAN), std::vector<double>(8, NAN)).empty());  // no --grow
  // On the chart: a dashed line at kimg 4 (x = 56 + 3/7 of 352) with its label; a mark outside the range is left out.
  const auto svg = svg_line_chart("loss", "kimg", kimg, kimg, 420, 220, {{4, "16x16"}, {20, "far"}});
  EXPECT_NE(svg.find("x1=\"206.9\""), std::string::npos) << svg;
  EXPECT_NE(svg.find(">16x16</text>"), std::string::npos);
  EXPECT_EQ(svg.find("far"), std::string::npos);
}

class ReportRun : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("wgan_report_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "samples");
    write_file_atomic((dir_ / "config.json").string(), "{\"loss\": \"wgan-gp\", \"note\": \"<script>\"}");
    std::string metrics;
    for (int i = 1; i <= 5; ++i) {
      metrics += "{\"step\":" + std::to_string(i * 10) + ",\"kimg\":" + std::to_string(i * 3.2) +
                 ",\"critic_loss\":" + std::to_string(-1.0 * i) + ",\"wasserstein\":" + std::to_string(0.5 * i) +
                 ",\"penalty\":0.1,\"images_per_s\":100}\n";
    }
    metrics += "not json\n";
    write_file_atomic((dir_ / "metrics.jsonl").string(), metrics);
    for (int step : {10, 20, 30}) {
      char name[32];
      std::snprintf(name, sizeof name, "%06d.png", step);
      write_png((dir_ / "samples" / name).string(), make_grid(torch::rand({4, 1, 8, 8}) * 2 - 1));
    }
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ReportRun, IsSelfContainedWithCurvesGridsAndConfig) {
  const auto path = write_report(dir_.string());
  const auto html = read_file(path);
  EXPECT_NE(html.find("Wasserstein estimate"), std::string::npos);
  EXPECT_NE(html.find("critic loss"), std::string::npos);
  EXPECT_NE(html.find("gradient penalty"), std::string::npos);
  EXPECT_NE(html.find("Latest samples (000030.png)"), std::string::npos);
  EXPECT_EQ(std::count(html.begin(), html.end(), '<') > 20, true);
  // Self-contained: images inline, nothing fetched, no scripts (the config's "<script>" is escaped).
  EXPECT_NE(html.find("data:image/png;base64,"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://") == std::string::npos || html.find("http://www.w3.org/2000/svg") != std::string::npos,
            true);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("src=\"samples/"), std::string::npos);
}

TEST_F(ReportRun, MissingRunDirectoryIsAUserError) {
  EXPECT_THROW(write_report((dir_ / "nope").string()), UserError);
}

// A real browser opens the page without console errors and renders it (screenshot checked for
// non-blank content). Skipped where Debian's chromium is not installed.
TEST_F(ReportRun, ChromiumRendersWithoutErrors) {
  if (!fs::exists("/usr/bin/chromium")) GTEST_SKIP() << "chromium not installed (apt-get install chromium)";
  const auto page = write_report(dir_.string());
  const auto shot = (dir_ / "shot.png").string();
  const auto log = (dir_ / "console.log").string();
  const std::string cmd = "timeout 90 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic "
                          "--no-first-run --disable-background-networking --disable-component-update --disable-sync "
                          "--user-data-dir=" + (dir_ / "profile").string() +
                          " --enable-logging=stderr --v=0 --window-size=1200,1600 --screenshot=" + shot +
                          " file://" + page + " > " + log + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(log);
  ASSERT_TRUE(fs::exists(shot));
  const auto console = read_file(log);
  EXPECT_EQ(console.find("Uncaught"), std::string::npos) << console;
  EXPECT_EQ(console.find(":CONSOLE("), std::string::npos) << console;
  auto image = read_image(shot);
  // Not blank: the curves and grids put dark and mid-grey pixels on the white page.
  EXPECT_GT(image.to(torch::kFloat).std().item<double>(), 5.0);
}

}  // namespace
}  // namespace wgan
