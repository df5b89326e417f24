#include "wgan/toy/toy_gan.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "wgan/io/image_grid.h"
#include "wgan/losses/losses.h"
#include "wgan/optim/foreach_adam.h"
#include "wgan/optim/moving_average.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"
#include "wgan/util/progress.h"

namespace fs = std::filesystem;
namespace nn = torch::nn;

namespace wgan {

torch::nn::Sequential make_toy_mlp(int64_t in, int64_t hidden, int64_t out) {
  nn::Sequential net;
  int64_t width = in;
  for (int i = 0; i < 3; ++i) {
    nn::Linear layer(width, hidden);
    // He uniform: std sqrt(2 / fan_in), bounds +-std*sqrt(3), as the paper's toy code.
    const double bound = std::sqrt(6.0 / static_cast<double>(width));
    torch::NoGradGuard no_grad;
    layer->weight.uniform_(-bound, bound);
    layer->bias.zero_();
    net->push_back(layer);
    net->push_back(nn::ReLU());
    width = hidden;
  }
  nn::Linear last(width, out);
  {
    const double bound = std::sqrt(6.0 / static_cast<double>(width + out));  // Glorot uniform
    torch::NoGradGuard no_grad;
    last->weight.uniform_(-bound, bound);
    last->bias.zero_();
  }
  net->push_back(last);
  return net;
}

namespace {

// A perceptual blue-to-yellow ramp for the critic's value.
std::array<float, 3> ramp(float t) {
  const float stops[4][3] = {
      {0.16f, 0.11f, 0.37f}, {0.13f, 0.45f, 0.56f}, {0.37f, 0.79f, 0.38f}, {0.99f, 0.91f, 0.15f}};
  t = std::clamp(t, 0.0f, 1.0f) * 3.0f;
  const int i = std::min(2, static_cast<int>(t));
  const float f = t - i;
  return {stops[i][0] * (1 - f) + stops[i + 1][0] * f, stops[i][1] * (1 - f) + stops[i + 1][1] * f,
          stops[i][2] * (1 - f) + stops[i + 1][2] * f};
}

void draw_points(torch::Tensor& image, const torch::Tensor& points, double extent, std::array<uint8_t, 3> colour) {
  const int64_t size = image.size(0);
  auto acc = image.accessor<uint8_t, 3>();
  auto p = points.to(torch::kFloat64).contiguous();
  auto pa = p.accessor<double, 2>();
  for (int64_t i = 0; i < p.size(0); ++i) {
    const auto px = static_cast<int64_t>((pa[i][0] + extent) / (2 * extent) * size);
    const auto py = static_cast<int64_t>((extent - pa[i][1]) / (2 * extent) * size);  // y grows upwards
    for (int64_t dy = -1; dy <= 1; ++dy)
      for (int64_t dx = -1; dx <= 1; ++dx) {
        const int64_t x = px + dx, y = py + dy;
        if (x < 0 || y < 0 || x >= size || y >= size) continue;
        for (int c = 0; c < 3; ++c) acc[y][x][c] = colour[c];
      }
  }
}

}  // namespace

torch::Tensor draw_toy_picture(torch::nn::Sequential& critic, const torch::Tensor& real, const torch::Tensor& fake,
                               double extent, int64_t size) {
  torch::NoGradGuard no_grad;
  auto axis = (torch::arange(size, torch::kFloat32) + 0.5) / size * (2 * extent) - extent;
  auto grid_y = axis.flip(0).view({size, 1}).expand({size, size});
  auto grid_x = axis.view({1, size}).expand({size, size});
  auto values = critic->forward(torch::stack({grid_x.reshape(-1), grid_y.reshape(-1)}, 1)).view({size, size});
  values = (values - values.min()) / (values.max() - values.min() + 1e-12);
  // 16 filled bands with a dark line where the band changes: a contour map.
  auto band = (values * 16).floor().clamp_max(15).to(torch::kLong);
  auto va = values.accessor<float, 2>();
  auto ba = band.accessor<int64_t, 2>();
  auto image = torch::empty({size, size, 3}, torch::kUInt8);
  auto ia = image.accessor<uint8_t, 3>();
  for (int64_t y = 0; y < size; ++y)
    for (int64_t x = 0; x < size; ++x) {
      auto rgb = ramp((ba[y][x] + 0.5f) / 16.0f);
      const bool edge = (x + 1 < size && ba[y][x + 1] != ba[y][x]) || (y + 1 < size && ba[y + 1][x] != ba[y][x]);
      const float shade = edge ? 0.55f : 0.8f + 0.2f * va[y][x];
      for (int c = 0; c < 3; ++c) ia[y][x][c] = static_cast<uint8_t>(std::lround(255.0f * rgb[c] * shade));
    }
  draw_points(image, real, extent, {255, 140, 0});
  draw_points(image, fake, extent, {40, 230, 90});
  return image;
}

}  // namespace wgan
