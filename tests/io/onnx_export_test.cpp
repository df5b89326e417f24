// ONNX export and the web page. The exported graph is checked three ways: Debian's ONNX checker
// (C++ here, python3-onnx's onnx.checker in the CLI test), a small evaluator of its four ops in
// LibTorch against the generator itself, and onnxruntime (npm's onnxruntime-node, and
// onnxruntime-web in headless Chromium), which nobody here wrote, against `wgan sample`.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "wgan/io/image_grid.h"
#include "wgan/io/onnx_model.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"
#include "../support/run_cli.h"
#include "../support/train_fixtures.h"

#if WGAN_HAVE_ONNX
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#endif

namespace fs = std::filesystem;

namespace wgan {
namespace {

using test_support::fresh_dir;
using test_support::run_cli;
using test_support::run_shell;

#if WGAN_HAVE_ONNX

// A generator whose BatchNorm running statistics and affine parameters are not the identity, as
// after training: random scales and shifts, statistics gathered from a few train-mode batches.
std::shared_ptr<GeneratorNet> trained_looking_generator(const ModelConfig& config) {
  torch::manual_seed(4);
  auto net = make_generator(config);
  torch::NoGradGuard no_grad;
  for (auto& param : net->named_parameters())
    if (param.key().find("norm") != std::string::npos || param.key().find("batchN") != std::string::npos)
      param.value().normal_(param.key().find("weight") != std::string::npos ? 1.0 : 0.0, 0.2);
  // A larger last layer: DCGAN's N(0, 0.02) start gives a near-constant grey that matches trivially.
  torch::Tensor last_conv_weight;
  for (auto& param : net->parameters())
    if (param.dim() == 4) last_conv_weight = param;
  last_conv_weight.mul_(10.0);
  net->train();
  for (int i = 0; i < 5; ++i)
    net->forward(torch::randn({16, config.latent_dim}),
                 config.conditional() ? torch::randint(0, config.classes(), {16}, torch::kInt64) : torch::Tensor());
  net->eval();
  return net;
}

onnx::ModelProto parse(const std::string& bytes) {
  onnx::ModelProto model;
  EXPECT_TRUE(model.ParseFromString(bytes));
  return model;
}

torch::Tensor tensor_of(const onnx::TensorProto& t) {
  std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  const auto type = t.data_type() == onnx::TensorProto::INT64 ? torch::kInt64 : torch::kFloat32;
  auto out = torch::empty(dims, type);
  EXPECT_EQ(t.raw_data().size(), static_cast<size_t>(out.numel() * out.element_size())) << t.name();
  std::memcpy(out.data_ptr(), t.raw_data().data(), t.raw_data().size());
  return out;
}

std::vector<int64_t> ints(const onnx::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return {a.ints().begin(), a.ints().end()};
  ADD_FAILURE() << node.name() << " lacks " << name;
  return {};
}

int64_t ints_or_int(const onnx::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return a.i();
  return 0;  // ONNX's default for Gather's axis
}

// The graph evaluated with LibTorch's own ops, node by node: what the file says, not what the
// exporter meant. Knows exactly the ops the exporter writes; anything else fails the test.
torch::Tensor evaluate(const onnx::ModelProto& model, const torch::Tensor& z, const torch::Tensor& labels = {}) {
  std::map<std::string, torch::Tensor> values;
  for (const auto& init : model.graph().initializer()) values[init.name()] = tensor_of(init);
  values[model.graph().input(0).name()] = z;
  EXPECT_EQ(model.graph().input_size(), labels.defined() ? 2 : 1);
  if (labels.defined()) values[model.graph().input(1).name()] = labels;
  for (const auto& node : model.graph().node()) {
    const auto& x = values.at(node.input(0));
    torch::Tensor y;
    if (node.op_type() == "Reshape") {
      const auto shape = values.at(node.input(1));
      y = x.reshape(std::vector<int64_t>(shape.data_ptr<int64_t>(), shape.data_ptr<int64_t>() + shape.numel()));
    } else if (node.op_type() == "ConvTranspose") {
      const auto strides = ints(node, "strides"), pads = ints(node, "pads");
      EXPECT_EQ(pads[0], pads[2]);
      y = torch::conv_transpose2d(x, values.at(node.input(1)), values.at(node.input(2)), strides, {pads[0], pads[1]});
    } else if (node.op_type() == "Conv") {
      const auto pads = ints(node, "pads");
      y = torch::conv2d(x, values.at(node.input(1)), values.at(node.input(2)), 1, {pads[0], pads[1]});
    } else if (node.op_type() == "Gemm") {
      y = torch::addmm(values.at(node.input(2)), x, values.at(node.input(1)).t());  // transB = 1
    } else if (node.op_type() == "BatchNormalization") {
      float eps = 0;
      for (const auto& a : node.attribute())
        if (a.name() == "epsilon") eps = a.f();
      y = torch::batch_norm(x, values.at(node.input(1)), values.at(node.input(2)), values.at(node.input(3)),
                            values.at(node.input(4)), /*training=*/false, 0.0, eps, /*cudnn_enabled=*/false);
    } else if (node.op_type() == "Resize") {
      EXPECT_TRUE(values.at(node.input(2)).equal(torch::tensor({1.0f, 1.0f, 2.0f, 2.0f})));
      y = x.repeat_interleave(2, 2).repeat_interleave(2, 3);
    } else if (node.op_type() == "Add") {
      y = x + values.at(node.input(1));
    } else if (node.op_type() == "Concat") {
      EXPECT_EQ(ints_or_int(node, "axis"), 1);
      y = torch::cat({x, values.at(node.input(1))}, 1);
    } else if (node.op_type() == "Mul") {
      y = x * values.at(node.input(1));
    } else if (node.op_type() == "Gather") {
      EXPECT_EQ(ints_or_int(node, "axis"), 0);
      y = x.index_select(0, values.at(node.input(1)));
    } else if (node.op_type() == "ReduceMean") {
      EXPECT_EQ(ints(node, "axes"), std::vector<int64_t>{1});
      y = x.mean(1, /*keepdim=*/true);
    } else if (node.op_type() == "Sqrt") {
      y = x.sqrt();
    } else if (node.op_type() == "Div") {
      y = x / values.at(node.input(1));
    } else if (node.op_type() == "Relu") {
      y = torch::relu(x);
    } else if (node.op_type() == "Tanh") {
      y = torch::tanh(x);
    } else {
      ADD_FAILURE() << "unexpected op " << node.op_type();
      return {};
    }
    values[node.output(0)] = y;
  }
  return values.at(model.graph().output(0).name());
}

std::map<std::string, std::string> metadata_of(const onnx::ModelProto& model) {
  std::map<std::string, std::string> out;
  for (const auto& p : model.metadata_props()) out[p.key()] = p.value();
  return out;
}

TEST(OnnxModel, CheckerAcceptsTheGraphAndItsTypesAndMetadata) {
  ModelConfig config;
  config.width = 8;
  config.latent_dim = 16;
  auto net = trained_looking_generator(config);
  const auto model = parse(generator_to_onnx(*net, config, {{"wgan.resolution", "32"}, {"wgan.classes", "[]"}}));
  EXPECT_NO_THROW(onnx::checker::check_model(model));
  ASSERT_EQ(model.opset_import_size(), 1);
  EXPECT_EQ(model.opset_import(0).version(), kOnnxOpset);
  const auto& input = model.graph().input(0);
  EXPECT_EQ(input.name(), "z");
  const auto& in_shape = input.type().tensor_type().shape();
  ASSERT_EQ(in_shape.dim_size(), 2);
  EXPECT_EQ(in_shape.dim(0).dim_param(), "N");
  EXPECT_EQ(in_shape.dim(1).dim_value(), 16);
  const auto& out_shape = model.graph().output(0).type().tensor_type().shape();
  ASSERT_EQ(out_shape.dim_size(), 4);
  EXPECT_EQ(out_shape.dim(1).dim_value(), 1);
  EXPECT_EQ(out_shape.dim(2).dim_value(), 32);
  EXPECT_EQ(out_shape.dim(3).dim_value(), 32);
  EXPECT_EQ(metadata_of(model).at("wgan.resolution"), "32");
  // BatchNorm folded: no BatchNormalization node, one ConvTranspose per upsampling stage.
  int convs = 0;
  for (const auto& node : model.graph().node()) {
    EXPECT_NE(node.op_type(), "BatchNormalization");
    convs += node.op_type() == "ConvTranspose";
  }
  EXPECT_EQ(convs, 4);  // 1x1 -> 4 -> 8 -> 16 -> 32
}

// The folded graph computes what the generator computes in eval mode, for both architectures.
TEST(OnnxModel, GraphComputesTheGeneratorInEvalMode) {
  for (const std::string arch : {"dcgan", "blog", "resnet", "dcgan --generator-norm pixel"}) {
    ModelConfig config;
    config.arch = arch.substr(0, arch.find(' '));
    if (arch.find("pixel") != std::string::npos) config.generator_norm = GeneratorNorm::kPixel;
    if (arch == "resnet") {
      config.width = 8;
      config.latent_dim = 16;
      config.channels = 3;
    } else if (arch == "blog") {
      config.resolution = 64;
      config.channels = 3;
    } else {
      config.width = 8;
      config.latent_dim = 16;
    }
    auto net = trained_looking_generator(config);
    const auto model = parse(generator_to_onnx(*net, config, {}));
    torch::manual_seed(8);
    auto z = torch::randn({5, config.latent_dim});
    torch::NoGradGuard no_grad;
    auto expected = net->forward(z);
    auto got = evaluate(model, z);
    ASSERT_EQ(got.sizes(), expected.sizes()) << arch;
    EXPECT_NEAR((got - expected).abs().max().item<double>(), 0.0, 1e-5) << arch;
    EXPECT_GT(expected.std().item<double>(), 0.05) << arch;  // not a constant image that matches trivially
  }
}

// A conditional generator: a "class" input, and the class part after every BatchNorm.
TEST(OnnxModel, ConditionalGraphComputesTheGeneratorForEachClass) {
  for (const std::string arch : {"dcgan", "resnet"}) {
    ModelConfig config;
    config.arch = arch;
    config.width = 8;
    config.latent_dim = 16;
    config.class_names = {"a", "b", "c"};
    config.class_counts = {1, 1, 1};
    auto net = trained_looking_generator(config);  // random class tables too (their names hold "norm")
    const auto model = parse(generator_to_onnx(*net, config, {}));
    EXPECT_NO_THROW(onnx::checker::check_model(model)) << arch;
    ASSERT_EQ(model.graph().input_size(), 2) << arch;
    EXPECT_EQ(model.graph().input(1).name(), "class");
    EXPECT_EQ(model.graph().input(1).type().tensor_type().elem_type(), onnx::TensorProto::INT64);
    torch::manual_seed(9);
    const auto z = torch::randn({6, config.latent_dim});
    const auto labels = torch::tensor({0, 1, 2, 2, 1, 0}, torch::kInt64);
    torch::NoGradGuard no_grad;
    const auto expected = net->forward(z, labels);
    const auto got = evaluate(model, z, labels);
    ASSERT_EQ(got.sizes(), expected.sizes()) << arch;
    EXPECT_NEAR((got - expected).abs().max().item<double>(), 0.0, 1e-5) << arch;
    // The class matters: the same z as another class is another image.
    EXPECT_GT((expected[0] - net->forward(z.narrow(0, 0, 1), labels.narrow(0, 1, 1))[0]).abs().max().item<double>(), 1e-3);
  }
}

// A generator of other layers is refused with a message, not written wrong.
TEST(OnnxModel, RefusesLayersItDoesNotKnow) {
  struct LinearGenerator : GeneratorNet {
    LinearGenerator() { register_module("fc", torch::nn::Linear(4, 4)); }
    torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& /*labels*/) override { return z; }
  } net;
  ModelConfig config;
  config.latent_dim = 4;
  try {
    generator_to_onnx(net, config, {});
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("fc"), std::string::npos) << e.what();
  }
}

#endif  // WGAN_HAVE_ONNX

// ---- The CLI end to end: export, then run the file in runtimes nobody here wrote.

const fs::path kNodeModules = WGAN_NPM_DIR;
const bool kHaveOnnxruntimeNode = fs::exists(kNodeModules / "onnxruntime-node" / "package.json");
const bool kHaveOnnxruntimeWeb = fs::exists(kNodeModules / "onnxruntime-web" / "dist" / "ort.wasm.min.js");

torch::Tensor read_rgba(const std::string& path, int64_t height, int64_t width) {
  const auto bytes = read_file(path);
  EXPECT_EQ(bytes.size(), static_cast<size_t>(height * width * 4)) << path;
  return torch::from_blob(const_cast<char*>(bytes.data()), {height, width, 4}, torch::kUInt8).clone();
}

// The RGB of a grid PNG that `wgan sample` wrote (gray grids repeated to three channels).
torch::Tensor grid_rgb(const std::string& png) {
  auto image = read_image(png).to(torch::kFloat32);
  return image.size(2) == 1 ? image.expand({-1, -1, 3}) : image;
}

double max_pixel_difference(const torch::Tensor& a, const torch::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  if (a.sizes() != b.sizes()) return 1e9;
  return (a.to(torch::kFloat32) - b.to(torch::kFloat32)).abs().max().item<double>() / 255.0;
}

// Export a run's generator as .onnx and as a web page, and compare both with `wgan sample`.
// A conditional model is checked on class `class_index` (>= 0): `sample --class`, the "class" input
// of onnxruntime, and the page's class picker.
void check_exports(const std::string& dir, const std::string& checkpoint_args, int64_t latent_dim, int64_t side,
                   int class_index = -1) {
  const std::string class_flag = class_index >= 0 ? " --class " + std::to_string(class_index) : "";
  const std::string class_arg = class_index >= 0 ? " " + std::to_string(class_index) : "";
  const std::string onnx = dir + "/G.onnx";
  auto exported = run_cli("export " + checkpoint_args + " --to " + onnx);
  ASSERT_EQ(exported.code, 0) << exported.output;
  ASSERT_TRUE(fs::exists(onnx));
  if (std::system("/usr/bin/python3 -c 'import onnx' 2>/dev/null") == 0) {
    auto checked = run_shell("/usr/bin/python3 -c \"import onnx, sys; m = onnx.load(sys.argv[1]); "
                             "onnx.checker.check_model(m, full_check=True); print('checked', m.opset_import[0].version)\" " +
                             onnx);
    EXPECT_NE(checked.output.find("checked 13"), std::string::npos) << checked.output;
  }
  const int seed = 7;
  auto sampled = run_cli("sample " + checkpoint_args + class_flag + " --seed " + std::to_string(seed) +
                         " --num 64 --grid " + dir + "/grid.png --npy " + dir + "/grid.npy");
  ASSERT_EQ(sampled.code, 0) << sampled.output;
  auto strip = run_cli("sample " + checkpoint_args + class_flag + " --interpolate 1,2 --steps 3 --grid " + dir +
                       "/strip.png");
  ASSERT_EQ(strip.code, 0) << strip.output;

  if (!kHaveOnnxruntimeNode) {
    ADD_FAILURE() << "onnxruntime-node missing under " << kNodeModules << ": run `make onnxruntime`";
  } else {
    const auto ran = run_shell("node " + std::string(WGAN_SOURCE_DIR) + "/tests/io/onnx_runtime_check.js " +
                               kNodeModules.string() + " " + onnx + " " + std::to_string(seed) + " " +
                               std::to_string(latent_dim) + " " + dir + "/grid.npy" + class_arg);
    const auto& output = ran.output;
    ASSERT_EQ(ran.code, 0) << output;
    const auto result = nlohmann::json::parse(output.substr(output.find('{')));
    EXPECT_NEAR(result["max_abs_diff"].get<double>(), 0.0, 1e-4) << output;
    EXPECT_EQ(result["dims"], nlohmann::json({64, side == 64 ? 3 : 1, side, side})) << output;
  }

  if (!kHaveOnnxruntimeWeb || !fs::exists("/usr/bin/chromium")) {
    ADD_FAILURE() << "onnxruntime-web (make onnxruntime) or chromium (apt-get install chromium) missing";
    return;
  }
  const std::string site = dir + "/site";
  auto web = run_cli("export " + checkpoint_args + " --web --to " + site);
  ASSERT_EQ(web.code, 0) << web.output;
  for (const char* file : {"index.html", "page.js", "torch_random.js", "model.js", "generator.onnx", "ort.wasm.min.js",
                           "ort-wasm-simd-threaded.wasm", "ort-wasm-simd-threaded.mjs"})
    EXPECT_TRUE(fs::exists(fs::path(site) / file)) << file;
  const std::string browser = "/usr/bin/python3 " + std::string(WGAN_SOURCE_DIR) + "/tests/io/browser_check.py " +
                              site + " " + dir + "/browser " + std::to_string(seed) + class_arg;
  ASSERT_EQ(std::system(browser.c_str()), 0) << "the page did not report; see " << dir << "/browser/chromium.log";
  const auto report = nlohmann::json::parse(read_file(dir + "/browser/report.json"));
  std::printf("[ browser  ] 64-image grid generated in %.0f ms (onnxruntime-web, wasm, 1 thread)\n",
              report["grid_ms"].get<double>());
  // The grid of the seed is the grid `wgan sample --seed` wrote, to 1% of the pixel range.
  auto expected = grid_rgb(dir + "/grid.png");
  auto drawn = read_rgba(dir + "/browser/grid.rgba", report["grid"][0], report["grid"][1]);
  EXPECT_LE(max_pixel_difference(drawn.narrow(2, 0, 3), expected), 0.01);
  // The walk at 0 and at 0.5 are the first two images of `--interpolate 1,2 --steps 3`; they differ.
  auto strip_png = grid_rgb(dir + "/strip.png");
  auto walk_start = read_rgba(dir + "/browser/walk_start.rgba", side, side).narrow(2, 0, 3);
  auto walk_middle = read_rgba(dir + "/browser/walk_middle.rgba", side, side).narrow(2, 0, 3);
  EXPECT_LE(max_pixel_difference(walk_start, strip_png.narrow(0, 1, side).narrow(1, 1, side)), 0.01);
  EXPECT_LE(max_pixel_difference(walk_middle, strip_png.narrow(0, 1, side).narrow(1, side + 2, side)), 0.01);
  // Opened as a file, Chromium refuses the model and the wasm: the page says to serve the folder.
  const auto from_file = run_shell("timeout 90 /usr/bin/chromium --headless --no-sandbox --disable-gpu --user-data-dir=" +
                                   dir + "/profile --virtual-time-budget=15000 --dump-dom file://" + site +
                                   "/index.html 2>/dev/null");
  EXPECT_NE(from_file.output.find("python3 -m http.server"), std::string::npos) << from_file.output;
  const auto walk_change = (walk_start.to(torch::kFloat32) - walk_middle.to(torch::kFloat32)).abs();
  std::printf("[ walk     ] slider 0 -> 0.5 changes pixels by %.2f levels on average, %.0f at most\n",
              walk_change.mean().item<double>(), walk_change.max().item<double>());
  EXPECT_GE(walk_change.max().item<double>(), 2.0);
}

const bool kHaveFashionMnist = fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");

// The demo's kind of model: dcgan, 32x32 gray Fashion-MNIST.
TEST(ExportCli, DcganOnnxAndWebPageMatchSample) {
  if (!onnx_export_available()) GTEST_SKIP() << "built without libonnx-dev";
  if (!kHaveFashionMnist) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const auto dir = fresh_dir("onnx_dcgan");
  auto trained = run_cli("train --max-images 256 --width 8 --batch 16 --steps 30 --threads 2 --quiet --run-dir " + dir +
                         "/run");
  ASSERT_EQ(trained.code, 0) << trained.output;
  check_exports(dir, "--checkpoint " + dir + "/run", 100, 32);
  fs::remove_all(dir);
}

// A 64x64 RGB model: the blog post's own networks; its ONNX file is no larger than its state dict.
TEST(ExportCli, BlogOnnxAndWebPageMatchSampleAndIsNoLargerThanTheStateDict) {
  if (!onnx_export_available()) GTEST_SKIP() << "built without libonnx-dev";
  const auto dir = fresh_dir("onnx_blog");
  torch::manual_seed(2);
  fs::create_directories(dir + "/imgs");
  for (int i = 0; i < 8; ++i)
    write_png(dir + "/imgs/" + std::to_string(i) + ".png", torch::randint(0, 256, {64, 64, 3}, torch::kUInt8));
  auto trained = run_cli("train --arch blog --data " + dir + "/imgs --steps 6 --batch 4 --n-critic 1 --quiet "
                         "--threads 2 --run-dir " + dir + "/run");
  ASSERT_EQ(trained.code, 0) << trained.output;
  check_exports(dir, "--checkpoint " + dir + "/run", 100, 64);
  ASSERT_EQ(run_cli("export --checkpoint " + dir + "/run --to " + dir + "/G.pt").code, 0);
  EXPECT_LE(fs::file_size(dir + "/G.onnx"), fs::file_size(dir + "/G.pt"));
  std::printf("[ size     ] blog generator: G.onnx %ju bytes, G.pt %ju bytes\n",
              static_cast<uintmax_t>(fs::file_size(dir + "/G.onnx")), static_cast<uintmax_t>(fs::file_size(dir + "/G.pt")));
  fs::remove_all(dir);
}

// The WGAN-GP paper's ResNet: BatchNormalization, Resize, Conv, Add and Gemm nodes.
TEST(ExportCli, ResnetOnnxAndWebPageMatchSample) {
  if (!onnx_export_available()) GTEST_SKIP() << "built without libonnx-dev";
  if (!kHaveFashionMnist) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const auto dir = fresh_dir("onnx_resnet");
  auto trained = run_cli("train --arch resnet --max-images 256 --width 8 --batch 16 --steps 20 --n-critic 2 "
                         "--threads 2 --quiet --run-dir " + dir + "/run");
  ASSERT_EQ(trained.code, 0) << trained.output;
  check_exports(dir, "--checkpoint " + dir + "/run", 100, 32);
  fs::remove_all(dir);
}

// A conditional model (--cond): the "class" input in onnxruntime, the page's class picker, and the
// class names in the model's metadata.
TEST(ExportCli, ConditionalOnnxAndWebPageMatchSampleForAClass) {
  if (!onnx_export_available()) GTEST_SKIP() << "built without libonnx-dev";
  if (!kHaveFashionMnist) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const auto dir = fresh_dir("onnx_cond");
  // A high learning rate, so that 20 steps move the class tables far enough to tell classes apart.
  auto trained = run_cli("train --cond --max-images 256 --width 8 --batch 16 --steps 20 --lr 5e-3 --threads 2 --quiet "
                         "--run-dir " + dir + "/run");
  ASSERT_EQ(trained.code, 0) << trained.output;
  check_exports(dir, "--checkpoint " + dir + "/run", 100, 32, /*class_index=*/8);
  // The grids matched are class 8's, not any class's: class 0's differs by more than the 1% allowed.
  ASSERT_EQ(run_cli("sample --checkpoint " + dir + "/run --class 0 --seed 7 --num 64 --grid " + dir + "/grid0.png").code, 0);
  EXPECT_GE(max_pixel_difference(grid_rgb(dir + "/grid0.png"), grid_rgb(dir + "/grid.png")), 0.03);
  const auto model = read_file(dir + "/G.onnx");
  EXPECT_NE(model.find("Ankle boot"), std::string::npos);  // wgan.classes in the metadata
  EXPECT_NE(read_file(dir + "/site/model.js").find("\"Ankle boot\""), std::string::npos);
  fs::remove_all(dir);
}

TEST(ExportCli, BadTargetsNameTheFlag) {
  const auto dir = fresh_dir("onnx_bad");
  auto no_extension = run_cli("export --checkpoint " + dir + " --to " + dir + "/G");
  EXPECT_EQ(no_extension.code, 1) << no_extension.output;
  EXPECT_NE(no_extension.output.find(".onnx"), std::string::npos) << no_extension.output;
  auto web_file = run_cli("export --checkpoint " + dir + " --web --to " + dir + "/G.onnx");
  EXPECT_EQ(web_file.code, 1) << web_file.output;
  EXPECT_NE(web_file.output.find("folder"), std::string::npos) << web_file.output;
  auto no_runtime = run_cli("export --checkpoint " + dir + " --web --to " + dir + "/site --ort-web " + dir);
  EXPECT_EQ(no_runtime.code, 1) << no_runtime.output;
  EXPECT_NE(no_runtime.output.find("--ort-web"), std::string::npos) << no_runtime.output;
}

}  // namespace
}  // namespace wgan
