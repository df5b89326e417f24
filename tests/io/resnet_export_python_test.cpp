// The Python class that docs/export.md gives for --arch resnet's state dict, run as written there:
// it loads the exported state dict strictly and reproduces wgan's images.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "wgan/io/torch_pickle.h"
#include "wgan/models/networks.h"
#include "wgan/util/atomic_file.h"
#include "../support/run_cli.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

// The ```python block between the resnet-python markers of docs/export.md.
std::string documented_class() {
  const auto doc = read_file(std::string(WGAN_SOURCE_DIR) + "/docs/export.md");
  const auto begin = doc.find("<!-- resnet-python:begin -->"), end = doc.find("<!-- resnet-python:end -->");
  EXPECT_NE(begin, std::string::npos);
  EXPECT_NE(end, std::string::npos);
  const auto code_start = doc.find("```python\n", begin) + 10, code_end = doc.rfind("```", end);
  return doc.substr(code_start, code_end - code_start);
}

// classes 0: unconditional; otherwise a --cond generator with random class tables, called with labels.
void check_documented_class(int64_t classes) {
  if (test_support::run_shell("/usr/bin/python3 -c 'import torch'").code != 0)
    GTEST_SKIP() << "python3-torch not installed";
  const auto dir = fs::temp_directory_path() / ("wgan_resnet_py_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  ModelConfig config;
  config.arch = "resnet";
  config.resolution = 64;
  config.channels = 3;
  config.width = 16;
  config.latent_dim = 20;
  for (int64_t k = 0; k < classes; ++k) config.class_names.push_back(std::to_string(k));
  torch::manual_seed(6);
  auto g = make_generator(config);
  const auto labels = classes > 0 ? torch::tensor({1, 0, 2}, torch::kInt64) : torch::Tensor();
  {  // statistics and class tables that are not the identity, as after training
    torch::NoGradGuard no_grad;
    for (auto& p : g->named_parameters())
      if (p.key().find("class_norm") != std::string::npos) p.value().normal_(0.0, 0.3);
    g->train();
    for (int i = 0; i < 3; ++i)
      g->forward(torch::randn({8, 20}), classes > 0 ? torch::randint(0, classes, {8}, torch::kInt64) : torch::Tensor());
  }
  g->eval();
  save_torch_state_dict((dir / "G.pt").string(), module_state(*g));
  auto z = torch::randn({3, 20});
  save_torch_state_dict((dir / "z.pt").string(), classes > 0 ? std::vector<std::pair<std::string, torch::Tensor>>{
                                                                   {"z", z}, {"labels", labels}}
                                                             : std::vector<std::pair<std::string, torch::Tensor>>{{"z", z}});
  const std::string call = classes > 0 ? "G(inputs['z'], inputs['labels'])" : "G(inputs['z'])";
  const std::string script = documented_class() +
                             "\nimport sys\nout = sys.argv[1]\n"
                             "G = ResnetGenerator(resolution=64, channels=3, width=16, latent_dim=20, classes=" +
                             std::to_string(classes) + ")\n"
                             "G.load_state_dict(torch.load(out + '/G.pt')); G.eval()\n"
                             "inputs = torch.load(out + '/z.pt')\n"
                             "with torch.no_grad():\n    torch.save({'y': " + call + "}, out + '/y.pt')\n";
  write_file_atomic((dir / "check.py").string(), script);
  const auto ran = test_support::run_shell("/usr/bin/python3 " + (dir / "check.py").string() + " " + dir.string());
  ASSERT_EQ(ran.code, 0) << ran.output;
  torch::NoGradGuard no_grad;
  const auto expected = g->forward(z, labels);
  const auto from_python = load_torch_file((dir / "y.pt").string());
  ASSERT_EQ(from_python.size(), 1u);
  ASSERT_EQ(from_python[0].second.sizes(), expected.sizes());
  EXPECT_NEAR((from_python[0].second - expected).abs().max().item<double>(), 0.0, 1e-5);
  EXPECT_GT(expected.std().item<double>(), 0.01);  // not a flat image
  fs::remove_all(dir);
}

TEST(ResnetExportPython, TheDocumentedClassLoadsTheStateDict) { check_documented_class(0); }

TEST(ResnetExportPython, TheDocumentedClassLoadsAConditionalStateDict) { check_documented_class(3); }

}  // namespace
}  // namespace wgan
