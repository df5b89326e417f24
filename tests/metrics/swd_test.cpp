// SWD: the pyramid is ProGAN's (it matches OpenCV's pyrDown and reconstructs the image), and the
// distance separates held-out real images from distorted ones.
#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>

#if WGAN_HAVE_OPENCV
#include <opencv2/imgproc.hpp>
#endif

#include "wgan/data/fashion_mnist.h"
#include "wgan/metrics/swd.h"

using namespace wgan;
using torch::indexing::Slice;

namespace {
torch::Tensor fashion_nchw(int64_t n) {
  return load_fashion_mnist(kFashionMnistDefaultDir, FashionMnistSplit::kTest).images.slice(0, 0, n).permute(
      {0, 3, 1, 2}).contiguous();
}
}  // namespace

TEST(Swd, PyramidReconstructsTheImage) {
  torch::manual_seed(1);
  auto x = torch::rand({2, 3, 32, 32}) * 255;
  auto pyramid = laplacian_pyramid(x, 3);
  ASSERT_EQ(pyramid.size(), 3u);
  EXPECT_EQ(pyramid[1].size(2), 16);
  EXPECT_EQ(pyramid[2].size(2), 8);
  // Collapsing the pyramid (upsample + add, coarsest first) gives the input back.
  auto expand = [](const torch::Tensor& t) {
    auto up = torch::zeros({t.size(0), t.size(1), t.size(2) * 2, t.size(3) * 2});
    up.index_put_({Slice(), Slice(), Slice(0, torch::indexing::None, 2), Slice(0, torch::indexing::None, 2)}, t);
    auto k = torch::tensor({1.0f, 4.0f, 6.0f, 4.0f, 1.0f});
    auto kernel = (torch::outer(k, k) / 64.0).expand({t.size(1), 1, 5, 5}).contiguous();
    namespace F = torch::nn::functional;
    return F::conv2d(F::pad(up, F::PadFuncOptions({2, 2, 2, 2}).mode(torch::kReflect)), kernel,
                     F::Conv2dFuncOptions().groups(t.size(1)));
  };
  auto rebuilt = pyramid[1] + expand(pyramid[2]);
  rebuilt = pyramid[0] + expand(rebuilt);
  EXPECT_NEAR((rebuilt - x).abs().max().item<double>(), 0.0, 1e-3);
}

#if WGAN_HAVE_OPENCV
TEST(Swd, DownsamplingMatchesOpenCvPyrDown) {
  torch::manual_seed(2);
  auto x = torch::rand({1, 1, 32, 32}) * 255;
  auto low = laplacian_pyramid(x, 2)[1];  // the residual level is pyr_down of the input
  cv::Mat src(32, 32, CV_32F, x.data_ptr<float>()), dst;
  cv::pyrDown(src, dst);  // BORDER_REFLECT_101, the same edges as scipy's 'mirror'
  auto expected = torch::from_blob(dst.ptr<float>(), {1, 1, 16, 16}).clone();
  EXPECT_NEAR((low - expected).abs().max().item<double>(), 0.0, 1e-3);
}
#endif

TEST(Swd, HeldOutRealImagesAreCloserThanDistortedOnes) {
  auto images = fashion_nchw(800);
  auto a = images.slice(0, 0, 400), b = images.slice(0, 400, 800);
  SwdOptions options;
  options.seed = 3;
  auto same = sliced_wasserstein_distance(a, b, options);
  ASSERT_EQ(same.resolutions, (std::vector<int64_t>{32, 16}));
  // Coarse blocks (4x4 nearest-neighbour) keep the silhouettes but lose every fine detail.
  auto blocky =
      torch::nn::functional::interpolate(
          torch::nn::functional::avg_pool2d(b.to(torch::kFloat32), torch::nn::functional::AvgPool2dFuncOptions(4)),
          torch::nn::functional::InterpolateFuncOptions().scale_factor(std::vector<double>{4, 4}).mode(torch::kNearest))
          .round()
          .to(torch::kUInt8);
  auto noisy = (b.to(torch::kFloat32) + torch::randn(b.sizes()) * 40).clamp(0, 255).to(torch::kUInt8);
  auto blocky_d = sliced_wasserstein_distance(a, blocky, options);
  auto noisy_d = sliced_wasserstein_distance(a, noisy, options);
  EXPECT_GT(same.average, 0.0);
  EXPECT_GT(blocky_d.average, 3 * same.average);
  EXPECT_GT(noisy_d.average, 3 * same.average);
  EXPECT_GT(noisy_d.per_level[0], 3 * same.per_level[0]);
  EXPECT_NEAR(same.average, (same.per_level[0] + same.per_level[1]) / 2, 1e-12);
}

TEST(Swd, SameSeedSameValue) {
  auto images = fashion_nchw(200);
  SwdOptions options;
  options.seed = 9;
  auto first = sliced_wasserstein_distance(images.slice(0, 0, 100), images.slice(0, 100, 200), options);
  auto second = sliced_wasserstein_distance(images.slice(0, 0, 100), images.slice(0, 100, 200), options);
  EXPECT_NEAR(first.average, second.average, 1e-12);
}

TEST(Swd, MismatchedShapesAreAUserError) {
  auto a = torch::zeros({10, 1, 32, 32}, torch::kUInt8);
  auto b = torch::zeros({10, 3, 32, 32}, torch::kUInt8);
  EXPECT_THROW(sliced_wasserstein_distance(a, b), std::runtime_error);
}
