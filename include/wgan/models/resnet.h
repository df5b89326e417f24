// --arch resnet: the WGAN-GP paper's residual generator and critic. Its registry row is in
// src/models/resnet.cpp.
#pragma once
#include <torch/torch.h>

#include "wgan/dist/sync_batch_norm.h"
#include "wgan/models/layers.h"
#include "wgan/models/model_config.h"
#include "wgan/models/networks.h"

namespace wgan {

// The WGAN-GP paper's CIFAR-10 ResNet (Gulrajani et al. 2017, appendix F; its layout, written
// afresh). --width channels in every block (128 in the paper); one more block per doubling of the
// side past 32. Parameters take PyTorch's default initialisation, not DCGAN's N(0, 0.02).

// Residual block that doubles the side: BatchNorm, ReLU, nearest 2x upsampling, 3x3 conv,
// BatchNorm, ReLU, 3x3 conv; the shortcut upsamples and applies a 1x1 conv. Parameters: norm1,
// conv1, norm2, conv2, shortcut; with classes > 0 also class_norm1, class_norm2 (ClassAffine).
class ResidualUpBlockImpl : public torch::nn::Module {
 public:
  ResidualUpBlockImpl(int64_t in_channels, int64_t out_channels, int64_t classes = 0);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& labels = {});

  SyncBatchNorm2d norm1{nullptr}, norm2{nullptr};
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, shortcut{nullptr};
  ClassAffine class_norm1{nullptr}, class_norm2{nullptr};
};
TORCH_MODULE(ResidualUpBlock);

// Critic block: [norm] ReLU 3x3 conv [norm] ReLU 3x3 conv [2x2 mean pool], plus a shortcut (the mean
// pool and a 1x1 conv, when it pools or changes the channels; the identity otherwise; the two
// commute, and pooling first is cheaper). The
// paper's "optimised" first block reads the image directly: 3x3 conv, ReLU, 3x3 conv, mean pool;
// Normalisation from --critic-norm (the paper: none). Parameters: conv1, conv2, shortcut, norm1, norm2.
class ResidualDownBlockImpl : public torch::nn::Module {
 public:
  ResidualDownBlockImpl(int64_t in_channels, int64_t out_channels, bool downsample, bool first,
                        CriticNorm norm);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  bool downsample_, first_;
  torch::nn::AnyModule norm1_, norm2_;
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, shortcut_{nullptr};
};
TORCH_MODULE(ResidualDownBlock);

// Linear from z to width x 4 x 4, up-blocks to the resolution, BatchNorm, ReLU, 3x3 conv, tanh.
// Parameters: input (Linear), blocks.K.*, output_norm, output_conv; conditional: class_input (its
// vector concatenated to z before `input`), output_class_norm.
class ResnetGenerator : public GeneratorNet {
 public:
  explicit ResnetGenerator(const ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& labels = {}) override;

  int64_t latent_dim, width, classes;
  torch::nn::Linear input{nullptr};
  torch::nn::ModuleList blocks{nullptr};
  SyncBatchNorm2d output_norm{nullptr};
  torch::nn::Conv2d output_conv{nullptr};
  ClassAffine output_class_norm{nullptr};
  ClassInput class_input{nullptr};
};

// The optimised block, down-blocks to 8x8, two blocks at 8x8, ReLU, the mean over positions, and a
// linear layer to one score. Parameters: blocks.K.*, output (Linear); conditional: projection, of
// the pooled features, and with a class head class_head (Linear, pooled features to class logits).
class ResnetCritic : public CriticNet {
 public:
  explicit ResnetCritic(const ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& images, const torch::Tensor& labels = {}) override;
  CriticOutput score_and_classify(const torch::Tensor& images, const torch::Tensor& labels) override;

 private:
  CriticOutput run(const torch::Tensor& images, const torch::Tensor& labels, bool classify);
  int64_t channels_, resolution_, classes_;
  torch::nn::ModuleList blocks_{nullptr};
  torch::nn::Linear output_{nullptr};
  ClassTail class_tail_;
};

}  // namespace wgan
