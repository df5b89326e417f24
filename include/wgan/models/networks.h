// DCGAN generator and critic (any resolution 32..256, 1 or 3 channels) and the blog post's exact
// 64x64 networks. Both kinds share two small interfaces so the training loop does not care
// which one it holds.
#pragma once
#include <torch/torch.h>

#include <memory>

#include "wgan/models/model_config.h"
#include "wgan/models/upsample_conv.h"

namespace wgan {

// z (B x latent, or B x latent x 1 x 1) to images (B x C x H x W) in [-1, 1].
class GeneratorNet : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& z) = 0;
};

// images (B x C x H x W) to one unbounded score per image (B). No sigmoid: the losses decide.
class CriticNet : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& images) = 0;
};

// Transposed convolutions + BatchNorm + ReLU from a 4x4 seed, doubling to the resolution; tanh out.
class DcganGenerator : public GeneratorNet {
 public:
  explicit DcganGenerator(const ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& z) override;

 private:
  int64_t latent_dim_;
  torch::nn::Sequential body_{nullptr};
};

// Convolutions 4x4 stride 2 + LeakyReLU(0.2) halving to 4x4, then a 4x4 convolution to one score.
// The first layer has no normalisation (as in DCGAN); the rest use config.critic_norm.
class DcganCritic : public CriticNet {
 public:
  explicit DcganCritic(const ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& images) override;

 private:
  int64_t channels_, resolution_;
  torch::nn::Sequential body_{nullptr};
};

// The blog post's Generator, layer for layer, with its parameter names (ConvT1..ConvT5,
// batchN1..batchN4) so that its state dict maps one to one.
class BlogGenerator : public GeneratorNet {
 public:
  BlogGenerator();
  torch::Tensor forward(const torch::Tensor& z) override;

 private:
  UpsampleConv convt_[5] = {nullptr, nullptr, nullptr, nullptr, nullptr};
  torch::nn::BatchNorm2d norm_[4] = {nullptr, nullptr, nullptr, nullptr};
};

// The blog post's Discriminator (conv1..conv5, batchN1..batchN4), without its unused sigmoid; the
// batchN layers hold whichever normalisation config.critic_norm names ("batch" is the blog post's).
class BlogCritic : public CriticNet {
 public:
  explicit BlogCritic(const ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& images) override;

 private:
  torch::nn::Conv2d conv_[5] = {nullptr, nullptr, nullptr, nullptr, nullptr};
  torch::nn::AnyModule norm_[4];
};

std::shared_ptr<GeneratorNet> make_generator(const ModelConfig& config);
std::shared_ptr<CriticNet> make_critic(const ModelConfig& config);

// DCGAN initialisation: convolution weights N(0, 0.02), normalisation scales N(1, 0.02), biases 0.
void init_dcgan_weights(torch::nn::Module& module);

// Copies every parameter and buffer of `from` into `to` (same architecture).
void copy_module_state(torch::nn::Module& from, torch::nn::Module& to);

int64_t count_parameters(torch::nn::Module& module);

}  // namespace wgan
