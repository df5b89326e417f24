#include "wgan/optim/moving_average.h"

namespace wgan {

namespace {

void copy_buffers(torch::nn::Module& from, torch::nn::Module& to) {
  auto source = from.buffers();
  auto target = to.buffers();
  for (size_t i = 0; i < source.size(); ++i) target[i].copy_(source[i]);
}

}  // namespace

void update_moving_average(torch::nn::Module& average, torch::nn::Module& model, double beta) {
  torch::NoGradGuard no_grad;
  auto averaged = average.parameters();
  at::_foreach_mul_(averaged, beta);
  at::_foreach_add_(averaged, model.parameters(), 1.0 - beta);
  copy_buffers(model, average);
}

void update_moving_average(torch::nn::Module& average, torch::nn::Module& model, const torch::Tensor& weight) {
  torch::NoGradGuard no_grad;
  auto averaged = average.parameters();
  auto current = model.parameters();
  for (size_t i = 0; i < averaged.size(); ++i) averaged[i].lerp_(current[i], weight);
  copy_buffers(model, average);
}

}  // namespace wgan
