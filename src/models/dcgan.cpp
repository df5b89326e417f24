#include "wgan/models/dcgan.h"

#include <algorithm>

#include "wgan/models/architecture.h"
#include "wgan/util/error.h"

namespace wgan {
namespace nn = torch::nn;

namespace {

int64_t log2_int(int64_t v) {
  int64_t n = 0;
  while ((int64_t{1} << n) < v) ++n;
  return n;
}

// Channels at pyramid level `level` (0 = 4x4) for `levels` stride-2 stages: width at the top,
// doubling towards 4x4, capped at 8x width so 256x256 stays affordable.
int64_t level_channels(int64_t width, int64_t levels, int64_t level) {
  return width * std::min<int64_t>(int64_t{1} << (levels - 1 - level), 8);
}

}  // namespace

DcganGenerator::DcganGenerator(const ModelConfig& config)
    : latent_dim_(config.latent_dim), classes_(config.classes()) {
  const int64_t levels = log2_int(config.resolution) - 2;  // stride-2 stages from 4x4
  nn::Sequential body;
  int64_t in = config.latent_dim + (classes_ > 0 ? ClassInputImpl::kDim : 0);
  if (classes_ > 0) class_input_ = register_module("class_input", ClassInput(classes_));
  for (int64_t level = 0; level < levels; ++level) {
    const int64_t out = level_channels(config.width, levels, level);
    const std::string id = std::to_string(level + 1);
    body->push_back("convt" + id, UpsampleConv(in, out, /*from_1x1=*/level == 0, /*bias=*/false));
    // Plain BatchNorm unless --sync-bn gives SyncBatchNorm2d a process group (same names, same math).
    body->push_back("norm" + id, SyncBatchNorm2d(out));
    class_norm_after_.resize(body->size(), ClassAffine(nullptr));
    if (classes_ > 0) class_norm_after_.back() = register_module("class_norm" + id, ClassAffine(classes_, out));
    body->push_back("relu" + id, nn::ReLU());
    in = out;
  }
  body->push_back("convt" + std::to_string(levels + 1),
                  UpsampleConv(in, config.channels, /*from_1x1=*/false, /*bias=*/true));
  body->push_back("tanh", nn::Tanh());
  class_norm_after_.resize(body->size(), ClassAffine(nullptr));
  body_ = register_module("body", body);
  init_dcgan_weights(*this);
}

torch::Tensor DcganGenerator::forward(const torch::Tensor& z, const torch::Tensor& labels) {
  check_labels(labels, classes_, z.size(0), "generator");
  auto x = as_4d_latent(z, latent_dim_);
  if (classes_ == 0) return body_->forward(x);
  x = torch::cat({x, class_input_->forward(labels).view({x.size(0), ClassInputImpl::kDim, 1, 1}).to(x.dtype())}, 1);
  size_t position = 0;
  for (auto& layer : *body_) {
    x = layer.forward(x);
    if (class_norm_after_[position]) x = class_norm_after_[position]->forward(x, labels);
    ++position;
  }
  return x;
}

DcganCritic::DcganCritic(const ModelConfig& config)
    : channels_(config.channels), resolution_(config.resolution), classes_(config.classes()) {
  const int64_t levels = log2_int(config.resolution) - 2;
  const bool bias = config.critic_norm == CriticNorm::kNone;
  nn::Sequential body;
  int64_t in = config.channels;
  for (int64_t level = levels - 1, id = 1; level >= 0; --level, ++id) {
    const int64_t out = level_channels(config.width, levels, level);
    const std::string name = std::to_string(id);
    body->push_back("conv" + name, conv4x4(in, out, 2, 1, id == 1 || bias));
    if (id > 1) {
      auto norm = make_norm(config.critic_norm, out);
      if (!norm.is_empty()) body->push_back("norm" + name, std::move(norm));
    }
    body->push_back("lrelu" + name, nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)));
    in = out;
  }
  body->push_back("conv" + std::to_string(levels + 1), conv4x4(in, 1, 1, 0, true));
  body_ = register_module("body", body);
  class_tail_ = ClassTail(*this, config, in * 4 * 4);  // the last convolution's 4x4 input, flattened
  init_dcgan_weights(*this);
}

torch::Tensor DcganCritic::forward(const torch::Tensor& images, const torch::Tensor& labels) {
  return run(images, labels, /*classify=*/false).score;
}

CriticOutput DcganCritic::score_and_classify(const torch::Tensor& images, const torch::Tensor& labels) {
  return run(images, labels, /*classify=*/true);
}

CriticOutput DcganCritic::run(const torch::Tensor& images, const torch::Tensor& labels, bool classify) {
  check_images(images, channels_, resolution_);
  check_labels(labels, classes_, images.size(0), "critic");
  if (classes_ == 0) return {body_->forward(images).view({-1}), {}};
  // The last convolution reads the 4x4 features; the projection term and the class head read the same.
  auto x = images;
  CriticOutput out;
  size_t position = 0;
  const size_t last = body_->size() - 1;
  for (auto& layer : *body_) {
    if (position++ < last) {
      x = layer.forward(x);
      continue;
    }
    const auto features = x.flatten(1);
    out = class_tail_.finish(layer.forward(x).view({-1}), features, labels, classify);
  }
  return out;
}

Architecture dcgan_architecture() {
  Architecture row;
  row.name = "dcgan";
  row.summary = "the blog post's kind of networks for any resolution 32..256, 1 or 3 channels; the fastest";
  row.make_generator = [](const ModelConfig& c) { return std::make_shared<DcganGenerator>(c); };
  row.make_critic = [](const ModelConfig& c) { return std::make_shared<DcganCritic>(c); };
  return row;
}

}  // namespace wgan
