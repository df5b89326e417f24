// `wgan eval` end to end: SWD and fd-fmnist on a tiny run, FID/KID through a user-supplied
// TorchScript network (a stand-in made by python3-torch with Inception's calling convention),
// and clear errors for what is missing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../support/run_cli.h"

namespace fs = std::filesystem;
using wgan::test_support::run_cli;

namespace {

class EvalCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("wgan_eval_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    auto r = run_cli("train --run-dir " + (dir_ / "run").string() +
                     " --steps 2 --width 8 --batch 16 --max-images 256 --sample-every 2 --log-every 1 --threads 1");
    ASSERT_EQ(r.code, 0) << r.output;
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  // The last line of stdout parsed as JSON.
  static nlohmann::json last_json(const std::string& output) {
    auto end = output.find_last_not_of('\n');
    auto start = output.rfind('\n', end);
    return nlohmann::json::parse(output.substr(start == std::string::npos ? 0 : start + 1, end - start));
  }

  static fs::path dir_;
};
fs::path EvalCli::dir_;

TEST_F(EvalCli, SwdAndClassifierDistanceOnARun) {
  auto r =
      run_cli("eval --checkpoint " + (dir_ / "run").string() + " --num 300 --out " + (dir_ / "eval.jsonl").string());
  ASSERT_EQ(r.code, 0) << r.output;
  auto line = last_json(r.output);
  for (const char* key : {"swd_32", "swd_16", "swd_avg", "fd_fmnist", "fd_fmnist_floor", "fd_fmnist_class_kl"})
    ASSERT_TRUE(line.contains(key)) << key << " missing in " << line.dump();
  EXPECT_GT(line["swd_avg"].get<double>(), 0.0);
  // Two steps of training make noise: far from the real images.
  EXPECT_GT(line["fd_fmnist"].get<double>(), 10 * line["fd_fmnist_floor"].get<double>());
  EXPECT_EQ(line["step"].get<int64_t>(), 2);
  EXPECT_TRUE(fs::exists(dir_ / "eval.jsonl"));
}

TEST_F(EvalCli, FidAndKidThroughAUserTorchScriptNetwork) {
  if (std::system("/usr/bin/python3 -c 'import torch' 2>/dev/null") != 0) GTEST_SKIP() << "python3-torch not installed";
  const auto net = dir_ / "inception_standin.pt";
  {
    std::ofstream py(dir_ / "make_net.py");
    py << "import sys, torch\n"
          "class Net(torch.nn.Module):\n"
          "    def forward(self, img: torch.Tensor, return_features: bool = False) -> torch.Tensor:\n"
          "        f = torch.nn.functional.adaptive_avg_pool2d(img / 255.0, 4).flatten(1)\n"
          "        return f if return_features else f.sum(1)\n"
          "torch.jit.script(Net()).save(sys.argv[1])\n";
  }
  ASSERT_EQ(std::system(("/usr/bin/python3 " + (dir_ / "make_net.py").string() + " " + net.string()).c_str()), 0);
  auto r = run_cli("eval --checkpoint " + (dir_ / "run").string() + " --metrics fid,kid --num 200 --inception " +
                   net.string());
  ASSERT_EQ(r.code, 0) << r.output;
  auto line = last_json(r.output);
  EXPECT_GT(line["fid"].get<double>(), 0.0);
  EXPECT_TRUE(line.contains("kid"));
  EXPECT_TRUE(line.contains("kid_std"));
}

TEST_F(EvalCli, MissingInceptionSaysHowToGetOne) {
  auto r = run_cli("eval --checkpoint " + (dir_ / "run").string() + " --metrics fid --num 10");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("--inception"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("inception-2015-12-05.pt"), std::string::npos) << r.output;
}

TEST_F(EvalCli, BadInputGivesAClearError) {
  auto r = run_cli("eval --checkpoint " + (dir_ / "run").string() + " --metrics swd,sharpness");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("unknown metric 'sharpness'"), std::string::npos) << r.output;
  r = run_cli("eval --checkpoint " + (dir_ / "nowhere").string());
  EXPECT_EQ(r.code, 1);
  r = run_cli("eval --checkpoint " + (dir_ / "run").string() + " --metrics fid --inception " +
              (dir_ / "run" / "config.json").string() + " --num 10");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("not a TorchScript file"), std::string::npos) << r.output;
}

}  // namespace
