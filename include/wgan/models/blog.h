// --arch blog (alias seed): the blog post's exact 64x64 RGB networks with its parameter names, so its
// state dicts load one to one. Its registry row is in src/models/blog.cpp.
#pragma once
#include <torch/torch.h>

#include "wgan/models/model_config.h"
#include "wgan/models/networks.h"
#include "wgan/models/upsample_conv.h"

namespace wgan {

// The blog post's Generator, layer for layer, with its parameter names (ConvT1..ConvT5,
// batchN1..batchN4) so that its state dict maps one to one.
class BlogGenerator : public GeneratorNet {
 public:
  BlogGenerator();
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& labels = {}) override;

 private:
  UpsampleConv convt_[5] = {nullptr, nullptr, nullptr, nullptr, nullptr};
  torch::nn::BatchNorm2d norm_[4] = {nullptr, nullptr, nullptr, nullptr};
};

// The blog post's Discriminator (conv1..conv5, batchN1..batchN4), without its unused sigmoid; the
// batchN layers hold whichever normalisation config.critic_norm names ("batch" is the blog post's).
class BlogCritic : public CriticNet {
 public:
  explicit BlogCritic(const ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& images, const torch::Tensor& labels = {}) override;

 private:
  torch::nn::Conv2d conv_[5] = {nullptr, nullptr, nullptr, nullptr, nullptr};
  torch::nn::AnyModule norm_[4];
};

}  // namespace wgan
