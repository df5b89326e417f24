// DCGAN generator and critic (any resolution 32..256, 1 or 3 channels), the blog post's exact
// 64x64 networks, and the WGAN-GP paper's ResNet. Both kinds share two small interfaces so the training loop does not care
// which one it holds.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <vector>

#include "wgan/dist/sync_batch_norm.h"
#include "wgan/models/model_config.h"
#include "wgan/models/upsample_conv.h"

namespace wgan {

// z (B x latent, or B x latent x 1 x 1) to images (B x C x H x W) in [-1, 1]. A conditional
// generator (ModelConfig::conditional) also takes one class index per image (int64 B); an
// unconditional one takes none.
class GeneratorNet : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& labels = {}) = 0;
};

// What a critic computes of a batch: the scores (B) and, for a critic with a class head
// (ModelConfig::class_head), the class logits (B x classes) read from the same features.
struct CriticOutput {
  torch::Tensor score, class_logits;
};

// images (B x C x H x W) to one unbounded score per image (B). No sigmoid: the losses decide.
// A conditional critic scores each image as an image of its class (int64 B).
class CriticNet : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& images, const torch::Tensor& labels = {}) = 0;
  // The scores and, with a class head, the class logits (undefined without one): one pass over
  // the features for both.
  virtual CriticOutput score_and_classify(const torch::Tensor& images, const torch::Tensor& labels) {
    return {forward(images, labels), {}};
  }
};

// The class part of conditional BatchNorm (de Vries et al. 2017; Miyato & Koyama 2018; BigGAN): after
// the layer's shared BatchNorm, each channel of an image of class c is scaled by 1 + gain[c] and
// shifted by bias[c]. Both tables start at zero, so a new conditional generator begins as the
// unconditional one does. Parameters: gain, bias (classes x channels).
class ClassAffineImpl : public torch::nn::Module {
 public:
  ClassAffineImpl(int64_t classes, int64_t channels);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& labels);
  torch::Tensor gain, bias;
};
TORCH_MODULE(ClassAffine);

// A conditional generator's class input: a learned vector per class (N(0, 1) at the start, like z),
// concatenated to z before the first layer. It lets the class shape the image from the first step;
// conditional BatchNorm's tables start at zero and Adam moves them by about the learning rate per
// step, too slowly alone for a short run. Parameter: weight (classes x kClassInputDim), as
// nn.Embedding's, so PyTorch's nn.Embedding loads it.
class ClassInputImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kDim = 32;
  explicit ClassInputImpl(int64_t classes);
  torch::Tensor forward(const torch::Tensor& labels);  // B x kDim
  torch::Tensor weight;
};
TORCH_MODULE(ClassInput);

// The projection critic's class term (Miyato & Koyama 2018): the inner product of the class's
// embedding with the critic's penultimate features (B x features). Starts at zero. Parameter: embedding.
class ClassProjectionImpl : public torch::nn::Module {
 public:
  ClassProjectionImpl(int64_t classes, int64_t features);
  torch::Tensor forward(const torch::Tensor& features, const torch::Tensor& labels);
  torch::Tensor embedding;
};
TORCH_MODULE(ClassProjection);

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
  ClassProjection projection_{nullptr};
  torch::nn::Linear class_head_{nullptr};
};

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

// ---- The WGAN-GP paper's CIFAR-10 ResNet (Gulrajani et al. 2017, appendix F; its layout, written
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
                        const std::string& norm);
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
  ClassProjection projection_{nullptr};
  torch::nn::Linear class_head_{nullptr};
};

// Nearest-neighbour 2x upsampling (each pixel repeated 2x2), as a view and an expand so that it
// runs in any dtype and layout; the ONNX export writes it as Resize (nearest).
torch::Tensor upsample_nearest_2x(const torch::Tensor& x);

std::shared_ptr<GeneratorNet> make_generator(const ModelConfig& config);
std::shared_ptr<CriticNet> make_critic(const ModelConfig& config);

// DCGAN initialisation: convolution weights N(0, 0.02), normalisation scales N(1, 0.02), biases 0.
void init_dcgan_weights(torch::nn::Module& module);

// Copies every parameter and buffer of `from` into `to` (same architecture).
void copy_module_state(torch::nn::Module& from, torch::nn::Module& to);

int64_t count_parameters(torch::nn::Module& module);

}  // namespace wgan
