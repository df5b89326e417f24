// What every architecture's networks are (architecture.h lists them): a generator and a critic
// behind two small interfaces, so that nothing above cares which one it holds, and the class
// layers the conditional ones share.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <vector>

#include "wgan/models/growth.h"
#include "wgan/models/model_config.h"

namespace wgan {

// z (B x latent, or B x latent x 1 x 1) to images (B x C x H x W) in [-1, 1]. A conditional
// generator (ModelConfig::conditional) also takes one class index per image (int64 B); an
// unconditional one takes none.
class GeneratorNet : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& labels = {}) = 0;
  // --grow: the phase to run at; with `final_size`, images of a lower phase come upsampled to the
  // final side (grids, sample). Networks that do not grow ignore it.
  virtual void set_growth(const GrowthPhase&, bool /*final_size*/) {}
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
  // --grow: the phase to run at (images of its side). Networks that do not grow ignore it.
  virtual void set_growth(const GrowthPhase&, bool /*final_size*/) {}
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

// Nearest-neighbour 2x upsampling (each pixel repeated 2x2), as a view and an expand so that it
// runs in any dtype and layout; the ONNX export writes it as Resize (nearest).
torch::Tensor upsample_nearest_2x(const torch::Tensor& x);

// The networks of config.arch (architecture.h), after validate(config).
std::shared_ptr<GeneratorNet> make_generator(const ModelConfig& config);
std::shared_ptr<CriticNet> make_critic(const ModelConfig& config);

// DCGAN initialisation: convolution weights N(0, 0.02), normalisation scales N(1, 0.02), biases 0.
void init_dcgan_weights(torch::nn::Module& module);

// Copies every parameter and buffer of `from` into `to` (same architecture).
void copy_module_state(torch::nn::Module& from, torch::nn::Module& to);

int64_t count_parameters(torch::nn::Module& module);

}  // namespace wgan
