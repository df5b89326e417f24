// --arch dcgan: the DCGAN generator and critic for any resolution 32..256, 1 or 3 channels, with
// or without classes. Its registry row is in src/models/dcgan.cpp.
#pragma once
#include <torch/torch.h>

#include "wgan/dist/sync_batch_norm.h"
#include "wgan/models/layers.h"
#include "wgan/models/model_config.h"
#include "wgan/models/networks.h"
#include "wgan/models/upsample_conv.h"

namespace wgan {

// Transposed convolutions + BatchNorm + ReLU from a 4x4 seed, doubling to the resolution; tanh out.
// Conditional: the class input (class_input) concatenated to z, and a ClassAffine after each
// BatchNorm (class_normK after body.normK).
class DcganGenerator : public GeneratorNet {
 public:
  explicit DcganGenerator(const ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& labels = {}) override;

 private:
  int64_t latent_dim_, classes_;
  torch::nn::Sequential body_{nullptr};
  ClassInput class_input_{nullptr};
  std::vector<ClassAffine> class_norm_after_;  // per body position; null where no BatchNorm is
};

// Convolutions 4x4 stride 2 + LeakyReLU(0.2) halving to 4x4, then a 4x4 convolution to one score.
// The first layer has no normalisation (as in DCGAN); the rest use config.critic_norm. Conditional: a
// ClassProjection ("projection") of the flattened 4x4 features that the last convolution reads,
// and with a class head a Linear ("class_head") from the same features to the class logits.
class DcganCritic : public CriticNet {
 public:
  explicit DcganCritic(const ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& images, const torch::Tensor& labels = {}) override;
  CriticOutput score_and_classify(const torch::Tensor& images, const torch::Tensor& labels) override;

 private:
  CriticOutput run(const torch::Tensor& images, const torch::Tensor& labels, bool classify);
  int64_t channels_, resolution_, classes_;
  torch::nn::Sequential body_{nullptr};
  ClassTail class_tail_;
};

}  // namespace wgan
