// Interop with PyTorch files: Python (Debian's python3-torch) saves the seed's Generator state
// dict, a latent batch and its expected output; wgan reads them and must reproduce the images.
#include "wgan/models/blog.h"
#include "wgan/io/torch_pickle.h"

#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>

#include "wgan/models/networks.h"
#include "wgan/run/generator_loader.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"

namespace fs = std::filesystem;

namespace wgan {
namespace {

// The seed's Generator exactly as the blog post defines it, with random weights and BatchNorm
// statistics so that eval mode is exercised.
const char* kSeedScript = R"PY(
import sys, torch, torch.nn as nn
out = sys.argv[1]
class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.ConvT1 = nn.ConvTranspose2d(100, 512, 4, bias=False); self.batchN1 = nn.BatchNorm2d(512); self.relu1 = nn.ReLU()
        self.ConvT2 = nn.ConvTranspose2d(512, 256, 4, 2, 1, bias=False); self.batchN2 = nn.BatchNorm2d(256); self.relu2 = nn.ReLU()
        self.ConvT3 = nn.ConvTranspose2d(256, 128, 4, 2, 1, bias=False); self.batchN3 = nn.BatchNorm2d(128); self.relu3 = nn.ReLU()
        self.ConvT4 = nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False); self.batchN4 = nn.BatchNorm2d(64); self.relu4 = nn.ReLU()
        self.ConvT5 = nn.ConvTranspose2d(64, 3, 4, 2, 1, bias=False); self.tanh = nn.Tanh()
    def forward(self, x):
        x = self.relu1(self.batchN1(self.ConvT1(x))); x = self.relu2(self.batchN2(self.ConvT2(x)))
        x = self.relu3(self.batchN3(self.ConvT3(x))); x = self.relu4(self.batchN4(self.ConvT4(x)))
        return self.tanh(self.ConvT5(x))
torch.manual_seed(7)
G = Generator()
with torch.no_grad():
    for m in G.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.normal_(0, 0.1); m.running_var.uniform_(0.5, 2.0); m.weight.normal_(1, 0.1); m.bias.normal_(0, 0.1)
G.eval()
z = torch.randn(4, 100, 1, 1)
with torch.no_grad():
    y = G(z)
torch.save(G.state_dict(), out + '/G.ckpt')
torch.save(z, out + '/z.pt')
torch.save(y, out + '/expected.pt')
torch.save({'w': torch.ones(2)}, out + '/legacy.pt', _use_new_zipfile_serialization=False)
)PY";

class TorchInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("/usr/bin/python3 -c 'import torch' 2>/dev/null") != 0)
      GTEST_SKIP() << "python3-torch not installed";
    dir_ = fs::temp_directory_path() / ("wgan_interop_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    write_file_atomic((dir_ / "make.py").string(), kSeedScript);
    const std::string cmd = "/usr/bin/python3 " + (dir_ / "make.py").string() + " " + dir_.string();
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(TorchInterop, SeedCheckpointReproducesPythonImages) {
  auto loaded = load_blog_generator((dir_ / "G.ckpt").string(), torch::kCPU);
  auto z = load_torch_file((dir_ / "z.pt").string());
  auto expected = load_torch_file((dir_ / "expected.pt").string());
  ASSERT_EQ(z.size(), 1u);
  ASSERT_EQ(z[0].second.sizes(), torch::IntArrayRef({4, 100, 1, 1}));
  torch::NoGradGuard no_grad;
  auto y = loaded.net->forward(z[0].second);
  ASSERT_EQ(y.sizes(), expected[0].second.sizes());
  EXPECT_NEAR((y - expected[0].second).abs().max().item<double>(), 0.0, 1e-5);
  EXPECT_GT(expected[0].second.std().item<double>(), 0.01);  // not a flat image
}

// The reverse direction: wgan writes the state dict, Python's seed Generator loads it strictly
// (no renaming) and must produce wgan's images.
TEST_F(TorchInterop, ExportedStateDictLoadsIntoTheSeedsGenerator) {
  torch::manual_seed(11);
  BlogGenerator g;
  {
    torch::NoGradGuard no_grad;
    for (auto& b : g.named_buffers()) {
      if (b.key().find("running_mean") != std::string::npos) b.value().normal_(0, 0.1);
      if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 2.0);
    }
  }
  g.eval();
  save_torch_state_dict((dir_ / "G_export.pt").string(), module_state(g));
  auto z = torch::randn({3, 100, 1, 1});
  save_torch_state_dict((dir_ / "zin.pt").string(), {{"z", z}});
  const std::string script = std::string(kSeedScript).substr(0, std::string(kSeedScript).find("torch.manual_seed(7)")) +
                             "G = Generator(); G.load_state_dict(torch.load(out + '/G_export.pt')); G.eval()\n"
                             "z = torch.load(out + '/zin.pt')['z']\n"
                             "with torch.no_grad():\n    torch.save(G(z), out + '/y_py.pt')\n";
  write_file_atomic((dir_ / "check.py").string(), script);
  ASSERT_EQ(std::system(("/usr/bin/python3 " + (dir_ / "check.py").string() + " " + dir_.string()).c_str()), 0);
  torch::NoGradGuard no_grad;
  auto y = g.forward(z);
  auto y_py = load_torch_file((dir_ / "y_py.pt").string());
  ASSERT_EQ(y_py.size(), 1u);
  EXPECT_NEAR((y - y_py[0].second).abs().max().item<double>(), 0.0, 1e-5);
}

TEST_F(TorchInterop, StateDictKeepsNamesAndOrder) {
  auto tensors = load_torch_file((dir_ / "G.ckpt").string());
  ASSERT_FALSE(tensors.empty());
  EXPECT_EQ(tensors.front().first, "ConvT1.weight");
  EXPECT_EQ(tensors.front().second.sizes(), torch::IntArrayRef({100, 512, 4, 4}));
  bool has_tracked = false;
  for (const auto& [name, t] : tensors) has_tracked = has_tracked || name == "batchN4.num_batches_tracked";
  EXPECT_TRUE(has_tracked);
}

TEST_F(TorchInterop, LegacyAndForeignFilesAreClearErrors) {
  try {
    load_torch_file((dir_ / "legacy.pt").string());
    FAIL() << "legacy file accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("legacy"), std::string::npos) << e.what();
  }
  write_file_atomic((dir_ / "foreign.pt").string(), "just text");
  EXPECT_THROW(load_torch_file((dir_ / "foreign.pt").string()), UserError);
  const auto bytes = read_file((dir_ / "G.ckpt").string());
  write_file_atomic((dir_ / "cut.pt").string(), bytes.substr(0, bytes.size() / 3));
  EXPECT_THROW(load_torch_file((dir_ / "cut.pt").string()), UserError);
}

// Mutated and truncated pickles must give a result or a UserError, never a crash or another error.
TEST_F(TorchInterop, FuzzedPicklesNeverCrash) {
  caffe2::serialize::PyTorchStreamReader reader((dir_ / "G.ckpt").string());
  auto [ptr, size] = reader.getRecord("data.pkl");
  const std::string pickle(static_cast<const char*>(ptr.get()), size);
  // The real storages, read once; an unknown (mutated) key gets an empty one.
  std::map<std::string, torch::Tensor> storages;
  for (int key = 0; reader.hasRecord("data/" + std::to_string(key)); ++key) {
    auto [data, bytes] = reader.getRecord("data/" + std::to_string(key));
    storages[std::to_string(key)] =
        torch::from_blob(data.get(), {static_cast<int64_t>(bytes / 4)}, torch::kFloat32).clone();
  }
  StorageLoader loader = [&](const std::string& key, torch::ScalarType dtype) {
    auto it = storages.find(key);
    return it == storages.end() ? torch::empty({0}, torch::TensorOptions().dtype(dtype)) : it->second;
  };
  EXPECT_EQ(unpickle_tensors(pickle, loader).size(), 5u + 4u * 5u);  // 5 convs, 4 BatchNorms x 5 entries
  std::mt19937 rng(123);
  int errors = 0;
  for (int trial = 0; trial < 1000; ++trial) {
    std::string mutated = pickle;
    if (trial % 3 == 0) {
      mutated.resize(rng() % pickle.size());
    } else {
      for (int k = 0; k < 1 + trial % 4; ++k) mutated[rng() % mutated.size()] = static_cast<char>(rng());
    }
    try {
      unpickle_tensors(mutated, loader);
    } catch (const UserError&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 50);
}

}  // namespace
}  // namespace wgan

namespace wgan {
namespace {

// A pickle whose __reduce__ asks for posix.system('id'), as a hostile "checkpoint" would: refused
// with the callable named and where, nothing run; a global of raw bytes is shown escaped.
TEST(TorchPickle, CodeInAPickleIsRefusedByName) {
  const StorageLoader no_storage = [](const std::string&, torch::ScalarType) { return torch::Tensor(); };
  using namespace std::string_literals;  // the pickle holds NUL bytes
  const std::string hostile = "\x80\x02"s + "cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."s;
  try {
    unpickle_tensors(hostile, no_storage);
    ADD_FAILURE() << "a pickle that calls posix.system was accepted";
  } catch (const UserError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("asks to call posix.system (opcode at byte 30)"), std::string::npos) << message;
    EXPECT_NE(message.find("never runs code"), std::string::npos) << message;
  }
  const std::string raw = std::string("\x80\x02") + "c\x01\xff\x1b[31m\nx\n)R.";
  try {
    unpickle_tensors(raw, no_storage);
    ADD_FAILURE() << "a pickle that calls a raw-byte global was accepted";
  } catch (const UserError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("\\x01\\xff\\x1b[31m.x"), std::string::npos) << message;
    for (const char c : message) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "raw byte " << int(c) << " in: " << message;
  }
}

}  // namespace
}  // namespace wgan
