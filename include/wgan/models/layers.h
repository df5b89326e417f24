// The building blocks the architectures share (src/models/dcgan.cpp, resnet.cpp, blog.cpp): the
// critic's normalisation by name, 4x4 convolutions, checks of what a network is given, and the
// conditional critic's tail.
#pragma once
#include <torch/torch.h>

#include <string>

#include "wgan/models/model_config.h"
#include "wgan/models/networks.h"

namespace wgan {

// --critic-norm as a module: layer (GroupNorm(1, C), in float32), instance (affine), batch; an
// empty AnyModule for none.
torch::nn::AnyModule make_norm(CriticNorm kind, int64_t channels);

// Progressive GAN's pixel-wise feature normalisation (--generator-norm pixel): each pixel's
// feature vector divided by its root mean square over the channels, in float32. No parameters.
class PixelNormImpl : public torch::nn::Module {
 public:
  torch::Tensor forward(const torch::Tensor& x);
};
TORCH_MODULE(PixelNorm);

// Progressive GAN's minibatch standard deviation (--minibatch-stddev): the standard deviation of
// every feature over a group of images (the batch split into groups of kGroup, or of the largest
// size below it that divides the batch), averaged into one number per group and appended to each
// of its images as one more constant channel. In float32.
class MinibatchStddevImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kGroup = 4;
  torch::Tensor forward(const torch::Tensor& x);
};
TORCH_MODULE(MinibatchStddev);

// A 4x4 convolution (the DCGAN critic's and the blog post's).
torch::nn::Conv2d conv4x4(int64_t in, int64_t out, int64_t stride, int64_t pad, bool bias);

// z as B x latent x 1 x 1; a UserError for any other shape (instead of a failure deep in a layer).
torch::Tensor as_4d_latent(const torch::Tensor& z, int64_t latent_dim);

// Images as the critic was built for: B x channels x resolution x resolution, else a UserError.
void check_images(const torch::Tensor& images, int64_t channels, int64_t resolution);

// None for an unconditional network (classes 0); one int64 class index per image for a
// conditional one. `net` names the network in the error.
void check_labels(const torch::Tensor& labels, int64_t classes, int64_t batch, const char* net);

// The conditional critic's tail, the same in every architecture that takes classes: the
// projection term (Miyato & Koyama 2018; "projection") of the critic's last features added to
// its score, and with a class head (config.class_head) a Linear ("class_head") from the same
// features to the class logits. Construct it last in the critic's constructor: it registers both
// modules on the critic, after its body, so parameter order and names stay as checkpoints have them.
class ClassTail {
 public:
  ClassTail() = default;
  ClassTail(torch::nn::Module& critic, const ModelConfig& config, int64_t features);
  // The critic's output from the unconditional score (B) and the features it was read from (B x F).
  CriticOutput finish(const torch::Tensor& score, const torch::Tensor& features, const torch::Tensor& labels,
                      bool classify);

 private:
  ClassProjection projection_{nullptr};
  torch::nn::Linear class_head_{nullptr};
};

}  // namespace wgan
