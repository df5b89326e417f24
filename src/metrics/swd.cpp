#include "wgan/metrics/swd.h"

#include <ATen/CPUGeneratorImpl.h>

#include "wgan/util/error.h"
#include "wgan/util/stop_request.h"

namespace wgan {

namespace F = torch::nn::functional;
using torch::indexing::None;
using torch::indexing::Slice;

namespace {

// The 5x5 binomial filter [1 4 6 4 1]^T [1 4 6 4 1] / 256, one copy per channel (depthwise).
torch::Tensor binomial_filter(int64_t channels, double gain) {
  auto k = torch::tensor({1.0, 4.0, 6.0, 4.0, 1.0}, torch::kFloat32);
  auto kernel = torch::outer(k, k) / 256.0 * gain;
  return kernel.expand({channels, 1, 5, 5}).contiguous();
}

// scipy.ndimage's 'mirror' edge mode is torch's 'reflect' (the edge pixel is not repeated).
torch::Tensor blur(const torch::Tensor& x, double gain) {
  auto padded = F::pad(x, F::PadFuncOptions({2, 2, 2, 2}).mode(torch::kReflect));
  return F::conv2d(padded, binomial_filter(x.size(1), gain).to(x.device()), F::Conv2dFuncOptions().groups(x.size(1)));
}

torch::Tensor pyramid_down(const torch::Tensor& x) {
  return blur(x, 1.0).index({Slice(), Slice(), Slice(None, None, 2), Slice(None, None, 2)});
}

// Zeros between the pixels, then the same filter with gain 4.
torch::Tensor pyramid_up(const torch::Tensor& x) {
  auto up = torch::zeros({x.size(0), x.size(1), x.size(2) * 2, x.size(3) * 2}, x.options());
  up.index_put_({Slice(), Slice(), Slice(None, None, 2), Slice(None, None, 2)}, x);
  return blur(up, 4.0);
}

}  // namespace

std::vector<torch::Tensor> laplacian_pyramid(const torch::Tensor& images, int64_t levels) {
  std::vector<torch::Tensor> pyramid{images.to(torch::kFloat32)};
  for (int64_t i = 1; i < levels; ++i) {
    pyramid.push_back(pyramid_down(pyramid.back()));
    pyramid[pyramid.size() - 2] = pyramid[pyramid.size() - 2] - pyramid_up(pyramid.back());
  }
  return pyramid;
}

torch::Tensor random_patches(const torch::Tensor& level, int64_t count, int64_t patch_size, at::Generator& rng) {
  const int64_t n = level.size(0), h = level.size(2), w = level.size(3), half = patch_size / 2;
  // Centres uniform in [half, side - half), as ProGAN's randint(H, S - H).
  auto cy = torch::randint(half, h - half, {n * count}, rng, torch::kLong);
  auto cx = torch::randint(half, w - half, {n * count}, rng, torch::kLong);
  auto image_index = torch::arange(n, torch::kLong).repeat_interleave(count);
  auto windows = level.unfold(2, patch_size, 1).unfold(3, patch_size, 1);  // N x C x H' x W' x k x k
  auto patches = windows.index({image_index, Slice(), cy - half, cx - half});  // M x C x k x k
  return patches.reshape({n * count, -1});
}

torch::Tensor normalize_descriptors(const torch::Tensor& descriptors, int64_t channels) {
  auto d = descriptors.reshape({descriptors.size(0), channels, -1});
  auto mean = d.mean(torch::IntArrayRef{0, 2}, true);
  auto std = d.std(torch::IntArrayRef{0, 2}, /*unbiased=*/false, true);
  return ((d - mean) / std).reshape({descriptors.size(0), -1});
}

double sliced_wasserstein(const torch::Tensor& a, const torch::Tensor& b, int64_t repeats, int64_t directions,
                          at::Generator& rng) {
  if (a.sizes() != b.sizes()) throw std::invalid_argument("sliced_wasserstein: the two sets must be the same size");
  double total = 0;
  // Directions a slice at a time: the same sums in less memory, and a stop request during
  // training waits for one slice (a fraction of a second at 64x64), not for a whole repeat.
  constexpr int64_t kDirectionsPerSlice = 16;
  for (int64_t r = 0; r < repeats; ++r) {
    auto dirs = torch::randn({a.size(1), directions}, rng, torch::kFloat32);
    dirs = dirs / dirs.square().sum(0, true).sqrt();
    double distance_sum = 0;
    for (int64_t start = 0; start < directions; start += kDirectionsPerSlice) {
      abandon_if_stopped();
      const auto slice = dirs.narrow(1, start, std::min(kDirectionsPerSlice, directions - start)).t();
      // Projections as directions x descriptors, so each sort runs over contiguous memory.
      auto proj_a = std::get<0>(torch::matmul(slice, a.t()).sort(1));
      auto proj_b = std::get<0>(torch::matmul(slice, b.t()).sort(1));
      distance_sum += (proj_a - proj_b).abs().sum(torch::kFloat64).item<double>();
    }
    total += distance_sum / static_cast<double>(directions * a.size(0));
  }
  return total / static_cast<double>(repeats);
}

SwdResult sliced_wasserstein_distance(const torch::Tensor& real_uint8, const torch::Tensor& fake_uint8,
                                      const SwdOptions& options) {
  if (real_uint8.sizes() != fake_uint8.sizes() || real_uint8.dim() != 4)
    throw UserError("SWD: real and generated image sets must have the same N x C x H x W shape, got " +
                    c10::str(real_uint8.sizes()) + " and " + c10::str(fake_uint8.sizes()));
  SwdResult result;
  for (int64_t res = real_uint8.size(2); res >= options.min_resolution; res /= 2) result.resolutions.push_back(res);
  if (result.resolutions.empty()) throw UserError("SWD needs images of at least 16x16");
  const auto levels = static_cast<int64_t>(result.resolutions.size());

  auto rng = at::detail::createCPUGenerator(options.seed);
  auto descriptors = [&](const torch::Tensor& images) {
    auto x = images.to(torch::kCPU, torch::kFloat32);
    if (x.size(1) == 1) x = x.repeat({1, 3, 1, 1});  // gray is tiled to RGB, as ProGAN does
    std::vector<torch::Tensor> per_level;
    // Batches of images keep the pyramid's memory small; patches are all that is kept.
    std::vector<std::vector<torch::Tensor>> chunks(levels);
    for (int64_t start = 0; start < x.size(0); start += 1024) {
      abandon_if_stopped();
      auto pyramid = laplacian_pyramid(x.slice(0, start, std::min(start + 1024, x.size(0))), levels);
      for (int64_t l = 0; l < levels; ++l)
        chunks[l].push_back(random_patches(pyramid[l], options.patches_per_image, options.patch_size, rng));
    }
    for (int64_t l = 0; l < levels; ++l) per_level.push_back(normalize_descriptors(torch::cat(chunks[l]), 3));
    return per_level;
  };
  torch::NoGradGuard no_grad;
  auto real = descriptors(real_uint8);
  auto fake = descriptors(fake_uint8);
  for (int64_t l = 0; l < levels; ++l) {
    double d = sliced_wasserstein(real[l], fake[l], options.repeats, options.directions_per_repeat, rng) * 1e3;
    result.per_level.push_back(d);
    result.average += d / static_cast<double>(levels);
  }
  return result;
}

}  // namespace wgan
