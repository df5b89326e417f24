// The moving average of a network's weights (the EMA generator that samples come from, and the
// toy's averaged generator): average = beta * average + (1 - beta) * model over every parameter,
// as multi-tensor operations; buffers (BatchNorm statistics) are copied, not averaged.
#pragma once
#include <torch/torch.h>

namespace wgan {

void update_moving_average(torch::nn::Module& average, torch::nn::Module& model, double beta);

// The same step with the weight (1 - beta) read from a 0-d device tensor, so that a captured
// CUDA graph can replay it with a new weight each time.
void update_moving_average(torch::nn::Module& average, torch::nn::Module& model, const torch::Tensor& weight);

}  // namespace wgan
