// The project's own Fashion-MNIST classifier: the feature space of the `fd-fmnist` metric (a
// Fréchet distance like FID, but in a network trained on this data, which needs no download).
// Three 3x3 convolution blocks with BatchNorm and max pooling, then a 128-unit layer whose
// activations are the features, then 10 logits. Input: 32x32 gray in [-1, 1], as the
// generators make them.
#pragma once
#include <torch/torch.h>

#include <string>

#include "wgan/data/fashion_mnist.h"

namespace wgan {

class FashionClassifierImpl : public torch::nn::Module {
 public:
  FashionClassifierImpl();
  torch::Tensor features(const torch::Tensor& images);  // B x 128 (after ReLU)
  torch::Tensor logits(const torch::Tensor& features);  // B x 10, from features() (metrics need both)
  torch::Tensor forward(const torch::Tensor& images);   // B x 10 logits

  static constexpr int64_t kFeatureDim = 128;
  static constexpr int64_t kClasses = 10;

 private:
  torch::nn::Sequential body_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(FashionClassifier);

// Loads weights written by train_fashion_classifier (classifier_command.h), in eval mode. UserError naming the file.
FashionClassifier load_fashion_classifier(const std::string& path, torch::Device device = torch::kCPU);

// Where the committed weights are: next to the binary (../models/) or in the source tree.
std::string default_classifier_path();

// Fraction of `images` (N x 1 x 32 x 32 uint8) whose predicted class equals `labels`.
double classifier_accuracy(FashionClassifier& net, const torch::Tensor& images_uint8, const torch::Tensor& labels);

// Runs `fn(batch_in_signed_unit)` over uint8 N x C x H x W images in batches, concatenating results.
torch::Tensor map_batches(const torch::Tensor& images_uint8, int64_t batch,
                          const std::function<torch::Tensor(const torch::Tensor&)>& fn);

// The same walk for callers that accumulate (statistics, histograms) instead of collecting.
void for_each_batch(const torch::Tensor& images_uint8, int64_t batch,
                    const std::function<void(const torch::Tensor&)>& fn);

}  // namespace wgan
