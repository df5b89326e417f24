// The networks and the picture of `wgan toy` (toy_command.h): MLP generator and critic (3 hidden
// ReLU layers, He-uniform hidden weights, Glorot-uniform output layer, zero biases) and the
// paper's picture (critic contours, real and generated points).
#pragma once
#include <torch/torch.h>

#include <atomic>
#include <string>

#include "wgan/toy/toy_data.h"

namespace wgan {

// MLP: in -> hidden x3 (ReLU) -> out.
torch::nn::Sequential make_toy_mlp(int64_t in, int64_t hidden, int64_t out);

// The picture: critic value as filled contours over [-extent, extent]^2, real points in orange,
// generated points in green. Returns H x W x 3 uint8.
torch::Tensor draw_toy_picture(torch::nn::Sequential& critic, const torch::Tensor& real, const torch::Tensor& fake,
                               double extent = 2.2, int64_t size = 480);

}  // namespace wgan
