// --arch dcgan: the DCGAN generator and critic for any resolution 32..256, 1 or 3 channels, with
// or without classes. Its registry row is in src/models/dcgan.cpp.
#pragma once
#include <torch/torch.h>

#include <map>

#include "wgan/dist/sync_batch_norm.h"
#include "wgan/models/growth.h"
#include "wgan/models/layers.h"
#include "wgan/models/model_config.h"
#include "wgan/models/networks.h"
#include "wgan/models/upsample_conv.h"

namespace wgan {

// Transposed convolutions + BatchNorm (or PixelNorm, --generator-norm pixel) + ReLU from a 4x4
// seed, doubling to the resolution; tanh out.
// Conditional: the class input (class_input) concatenated to z, and a ClassAffine after each
// BatchNorm (class_normK after body.normK). Growing (grow_from > 0): one more image layer per lower
// resolution R (grow_rgbR, the last layer's kind, reading the features of side R/2); at phase R the
// body runs to those features and grow_rgbR makes the image, blended during a fade-in with the
// previous resolution's image upsampled.
class DcganGenerator : public GeneratorNet {
 public:
  explicit DcganGenerator(const ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& labels = {}) override;
  void set_growth(const GrowthPhase& phase, bool final_size) override;

 private:
  // Body positions [begin, end) with the class layers after them.
  torch::Tensor run_body(torch::Tensor x, const torch::Tensor& labels, size_t begin, size_t end);
  // The image of side `side` from the features of side `side` / 2.
  torch::Tensor image_from(const torch::Tensor& features, int64_t side);
  int64_t latent_dim_, classes_, resolution_;
  torch::nn::Sequential body_{nullptr};
  ClassInput class_input_{nullptr};
  std::vector<ClassAffine> class_norm_after_;  // per body position; null where no BatchNorm is
  std::map<int64_t, UpsampleConv> grow_rgb_;   // by the side of the image it makes
  GrowthPhase phase_;
  bool final_size_ = false;  // upsample images of a lower phase to the final side (grids, sample)
};

// Convolutions 4x4 stride 2 + LeakyReLU(0.2) halving to 4x4, then a 4x4 convolution to one score.
// The first layer has no normalisation (as in DCGAN); the rest use config.critic_norm. Conditional: a
// ClassProjection ("projection") of the flattened 4x4 features that the last convolution reads,
// and with a class head a Linear ("class_head") from the same features to the class logits.
// --minibatch-stddev: a MinibatchStddev layer ("minibatch_stddev") before the last convolution, so
// those 4x4 features have one more channel.
// Growing (grow_from > 0): one more input layer per lower resolution R (grow_from_rgbR, the first
// layer's kind: a 4x4 convolution, stride 2, to the channels the body has at side R/2); at phase R
// it replaces the body's layers above R/2, blended during a fade-in with the previous resolution's
// input layer on the image downsampled by 2x2 means.
class DcganCritic : public CriticNet {
 public:
  explicit DcganCritic(const ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& images, const torch::Tensor& labels = {}) override;
  CriticOutput score_and_classify(const torch::Tensor& images, const torch::Tensor& labels) override;
  void set_growth(const GrowthPhase& phase, bool final_size) override;

 private:
  CriticOutput run(const torch::Tensor& images, const torch::Tensor& labels, bool classify);
  // The 4x4 features the last convolution reads, at the phase's resolution.
  torch::Tensor features(const torch::Tensor& images);
  torch::Tensor run_body(torch::Tensor x, size_t begin, size_t end);
  // Stage s (1-based) halves the side: body positions [stage_begin_[s], stage_begin_[s + 1]).
  size_t stage_of_side(int64_t side) const;  // the stage that reads images of this side
  int64_t channels_, resolution_, classes_;
  torch::nn::Sequential body_{nullptr};
  std::vector<size_t> stage_begin_;  // index s = stage s; the last entry: [minibatch stddev,] final convolution
  std::map<int64_t, torch::nn::Conv2d> grow_from_rgb_;
  ClassTail class_tail_;
  GrowthPhase phase_;
};

}  // namespace wgan
