#include "wgan/models/upsample_conv.h"

#include <gtest/gtest.h>

#include "wgan/models/networks.h"

namespace wgan {
namespace {

struct LayerShape {
  int64_t in, out, side;  // input channels, output channels, input side (1 = the latent layer)
  bool bias;
};

// Every transposed-convolution shape of the blog post's generator and of dcgan at 32x32x1 and
// 64x64x3, width 64 (the defaults), plus the last layer of a 128x128 network.
const LayerShape kShapes[] = {
    {100, 512, 1, false}, {512, 256, 4, false}, {256, 128, 8, false}, {128, 64, 16, false}, {64, 3, 32, false},
    {100, 256, 1, false}, {256, 128, 4, false}, {128, 64, 8, false},  {64, 1, 16, true},    {64, 3, 32, true},
    {32, 3, 64, true},
};

double relative_error(const torch::Tensor& got, const torch::Tensor& want) {
  return ((got.to(torch::kFloat64) - want.to(torch::kFloat64)).abs().max() /
          want.to(torch::kFloat64).abs().max().clamp_min(1e-30))
      .item<double>();
}

// Output and the gradients of input, weight and bias, for one kernel.
std::vector<torch::Tensor> run(const LayerShape& s, UpsampleKernel kernel, const torch::Tensor& x,
                               const torch::Tensor& weight, const torch::Tensor& bias, const torch::Tensor& grad_out) {
  UpsampleConv layer(s.in, s.out, /*from_1x1=*/s.side == 1, s.bias);
  layer->set_kernel(kernel);
  {
    torch::NoGradGuard no_grad;
    layer->weight.copy_(weight);
    if (s.bias) layer->bias.copy_(bias);
  }
  auto input = x.clone().requires_grad_(true);
  auto out = layer->forward(input);
  out.backward(grad_out);
  std::vector<torch::Tensor> r = {out.detach(), input.grad(), layer->weight.grad()};
  if (s.bias) r.push_back(layer->bias.grad());
  return r;
}

TEST(UpsampleConv, PhasesEqualTheTransposedConvolutionForEveryLayerShape) {
  torch::manual_seed(3);
  const char* names[] = {"output", "input gradient", "weight gradient", "bias gradient"};
  for (const auto& s : kShapes) {
    const int64_t out_side = s.side == 1 ? 4 : 2 * s.side;
    auto x = torch::randn({2, s.in, s.side, s.side});
    auto weight = torch::randn({s.in, s.out, 4, 4}) * 0.05;
    auto bias = torch::randn({s.out});
    auto grad_out = torch::randn({2, s.out, out_side, out_side});
    auto want = run(s, UpsampleKernel::kTransposed, x, weight, bias, grad_out);
    auto got = run(s, UpsampleKernel::kPhases, x, weight, bias, grad_out);
    ASSERT_EQ(got[0].sizes(), want[0].sizes());
    for (size_t i = 0; i < want.size(); ++i)
      EXPECT_NEAR(relative_error(got[i], want[i]), 0.0, 1e-5)
          << names[i] << " of " << s.in << "->" << s.out << " at " << s.side << "x" << s.side;
  }
}

TEST(UpsampleConv, PhasesAreExactInFloat64) {
  // In float64 the two formulations agree to rounding: the phase split is an identity, not an approximation.
  torch::manual_seed(4);
  auto x = torch::randn({3, 8, 5, 5}, torch::kFloat64);
  auto w = torch::randn({8, 6, 4, 4}, torch::kFloat64);
  auto b = torch::randn({6}, torch::kFloat64);
  auto want = torch::conv_transpose2d(x, w, b, 2, 1);
  EXPECT_NEAR((transposed_conv_by_phases(x, w, b) - want).abs().max().item<double>(), 0.0, 1e-12);
  auto z = torch::randn({3, 8, 1, 1}, torch::kFloat64);
  EXPECT_NEAR((transposed_conv_from_1x1(z, w, b) - torch::conv_transpose2d(z, w, b)).abs().max().item<double>(), 0.0,
              1e-12);
}

TEST(UpsampleConv, KeepsTheTransposedConvolutionsParameterNames) {
  ModelConfig config;
  config.width = 8;
  auto g = make_generator(config);
  auto params = g->named_parameters();
  EXPECT_EQ(params["body.convt1.weight"].sizes(), torch::IntArrayRef({100, 32, 4, 4}));
  EXPECT_TRUE(params.contains("body.convt4.bias"));
  EXPECT_FALSE(params.contains("body.convt1.bias"));
  // DCGAN initialisation reached the new layer type: N(0, 0.02), not the constructor's draw.
  EXPECT_NEAR(params["body.convt2.weight"].std().item<double>(), 0.02, 0.002);
}

TEST(UpsampleConv, RejectsAWrongInputWithItsShape) {
  UpsampleConv layer(8, 4, /*from_1x1=*/false, false);
  try {
    layer->forward(torch::randn({2, 5, 4, 4}));
    FAIL() << "a 5-channel input was accepted by an 8-channel layer";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("8-channel"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace wgan
