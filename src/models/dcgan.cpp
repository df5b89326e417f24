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

// A fade-in: (1 - alpha) * old + alpha * new, in float32 (under bf16 autocast the two paths may
// come in different dtypes).
torch::Tensor blend(const torch::Tensor& old_path, const torch::Tensor& new_path, double alpha) {
  return torch::lerp(old_path.to(torch::kFloat32), new_path.to(torch::kFloat32), alpha);
}

}  // namespace

DcganGenerator::DcganGenerator(const ModelConfig& config)
    : latent_dim_(config.latent_dim), classes_(config.classes()), resolution_(config.resolution),
      phase_{config.resolution, 1.0} {
  const int64_t levels = log2_int(config.resolution) - 2;  // stride-2 stages from 4x4
  nn::Sequential body;
  int64_t in = config.latent_dim + (classes_ > 0 ? ClassInputImpl::kDim : 0);
  if (classes_ > 0) class_input_ = register_module("class_input", ClassInput(classes_));
  for (int64_t level = 0; level < levels; ++level) {
    const int64_t out = level_channels(config.width, levels, level);
    const std::string id = std::to_string(level + 1);
    body->push_back("convt" + id, UpsampleConv(in, out, /*from_1x1=*/level == 0, /*bias=*/false));
    // Plain BatchNorm unless --sync-bn gives SyncBatchNorm2d a process group (same names, same math);
    // or --generator-norm pixel.
    if (config.generator_norm == GeneratorNorm::kPixel)
      body->push_back("norm" + id, PixelNorm());
    else
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
  // The image layers of the lower resolutions, each reading the features of half its side.
  if (config.grow_from > 0) {
    for (int64_t side = config.grow_from; side < config.resolution; side *= 2) {
      const int64_t level = log2_int(side) - 3;
      grow_rgb_.emplace(side, register_module("grow_rgb" + std::to_string(side),
                                              UpsampleConv(level_channels(config.width, levels, level),
                                                           config.channels, /*from_1x1=*/false, /*bias=*/true)));
    }
  }
  init_dcgan_weights(*this);
}

void DcganGenerator::set_growth(const GrowthPhase& phase, bool final_size) {
  if (phase.resolution != resolution_ && !grow_rgb_.count(phase.resolution))
    throw std::logic_error("DcganGenerator: no growth phase at " + std::to_string(phase.resolution));
  phase_ = phase;
  final_size_ = final_size;
}

torch::Tensor DcganGenerator::run_body(torch::Tensor x, const torch::Tensor& labels, size_t begin, size_t end) {
  for (size_t position = begin; position < end; ++position) {
    x = (body_->begin() + static_cast<std::ptrdiff_t>(position))->forward(x);
    if (class_norm_after_[position]) x = class_norm_after_[position]->forward(x, labels);
  }
  return x;
}

torch::Tensor DcganGenerator::image_from(const torch::Tensor& features, int64_t side) {
  if (side == resolution_) return run_body(features, {}, body_->size() - 2, body_->size());  // the last layer, tanh
  return torch::tanh(grow_rgb_.at(side)->forward(features));
}

torch::Tensor DcganGenerator::forward(const torch::Tensor& z, const torch::Tensor& labels) {
  check_labels(labels, classes_, z.size(0), "generator");
  auto x = as_4d_latent(z, latent_dim_);
  if (classes_ > 0)
    x = torch::cat({x, class_input_->forward(labels).view({x.size(0), ClassInputImpl::kDim, 1, 1}).to(x.dtype())}, 1);
  const bool grown = phase_.resolution == resolution_ && !phase_.fading();
  if (grown) return classes_ == 0 ? body_->forward(x) : run_body(x, labels, 0, body_->size());
  // A phase of the growth: the levels up to the features of half the phase's side (3 positions
  // each: transposed convolution, BatchNorm, ReLU), then that side's image layer.
  const auto levels = static_cast<size_t>(log2_int(phase_.resolution) - 2);
  torch::Tensor previous;
  for (size_t level = 0; level < levels; ++level) {
    if (level + 1 == levels) previous = x;
    x = run_body(x, labels, 3 * level, 3 * level + 3);
  }
  auto image = image_from(x, phase_.resolution);
  if (phase_.fading())
    image = blend(upsample_nearest_2x(image_from(previous, phase_.resolution / 2)), image, phase_.alpha);
  if (final_size_)
    for (int64_t side = phase_.resolution; side < resolution_; side *= 2) image = upsample_nearest_2x(image);
  return image;
}

DcganCritic::DcganCritic(const ModelConfig& config)
    : channels_(config.channels), resolution_(config.resolution), classes_(config.classes()),
      phase_{config.resolution, 1.0} {
  const int64_t levels = log2_int(config.resolution) - 2;
  const bool bias = config.critic_norm == CriticNorm::kNone;
  nn::Sequential body;
  int64_t in = config.channels;
  stage_begin_.push_back(0);  // stage 0 does not exist: stages count from 1
  for (int64_t level = levels - 1, id = 1; level >= 0; --level, ++id) {
    const int64_t out = level_channels(config.width, levels, level);
    const std::string name = std::to_string(id);
    stage_begin_.push_back(body->size());
    body->push_back("conv" + name, conv4x4(in, out, 2, 1, id == 1 || bias));
    if (id > 1) {
      auto norm = make_norm(config.critic_norm, out);
      if (!norm.is_empty()) body->push_back("norm" + name, std::move(norm));
    }
    body->push_back("lrelu" + name, nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)));
    in = out;
  }
  stage_begin_.push_back(body->size());
  if (config.minibatch_stddev) {
    body->push_back("minibatch_stddev", MinibatchStddev());
    in += 1;
  }
  body->push_back("conv" + std::to_string(levels + 1), conv4x4(in, 1, 1, 0, true));
  body_ = register_module("body", body);
  class_tail_ = ClassTail(*this, config, in * 4 * 4);  // the last convolution's 4x4 input, flattened
  // The input layers of the lower resolutions: the first layer's kind, to the channels the body
  // has at half their side.
  if (config.grow_from > 0) {
    for (int64_t side = config.grow_from; side < config.resolution; side *= 2) {
      const int64_t out = level_channels(config.width, levels, log2_int(side) - 3);
      grow_from_rgb_.emplace(side, register_module("grow_from_rgb" + std::to_string(side),
                                                   conv4x4(config.channels, out, 2, 1, /*bias=*/true)));
    }
  }
  init_dcgan_weights(*this);
}

void DcganCritic::set_growth(const GrowthPhase& phase, bool) {
  if (phase.resolution != resolution_ && !grow_from_rgb_.count(phase.resolution))
    throw std::logic_error("DcganCritic: no growth phase at " + std::to_string(phase.resolution));
  phase_ = phase;
}

size_t DcganCritic::stage_of_side(int64_t side) const {
  return static_cast<size_t>(log2_int(resolution_ / side)) + 1;
}

torch::Tensor DcganCritic::run_body(torch::Tensor x, size_t begin, size_t end) {
  for (size_t position = begin; position < end; ++position)
    x = (body_->begin() + static_cast<std::ptrdiff_t>(position))->forward(x);
  return x;
}

torch::Tensor DcganCritic::features(const torch::Tensor& images) {
  const size_t last = body_->size() - 1;
  if (phase_.resolution == resolution_ && !phase_.fading()) return run_body(images, 0, last);
  // The phase's input layer: the body's first stage at the final side, else grow_from_rgbR.
  auto input_layer = [&](const torch::Tensor& x, int64_t side) {
    if (side == resolution_) return run_body(x, stage_begin_[1], stage_begin_[2]);
    return torch::leaky_relu(grow_from_rgb_.at(side)->forward(x), 0.2);
  };
  const size_t stage = stage_of_side(phase_.resolution);  // its input layer stands for this stage
  auto x = input_layer(images, phase_.resolution);
  size_t next = stage + 1;
  if (phase_.fading()) {
    // The new level's stage, blended with the previous resolution's input layer on the image
    // downsampled by 2x2 means: both give the features of a quarter of the side.
    x = run_body(x, stage_begin_[stage + 1], stage_begin_[stage + 2]);
    const auto previous = input_layer(torch::avg_pool2d(images, 2), phase_.resolution / 2);
    x = blend(previous, x, phase_.alpha);
    next = stage + 2;
  }
  return run_body(x, stage_begin_[next], last);
}

torch::Tensor DcganCritic::forward(const torch::Tensor& images, const torch::Tensor& labels) {
  return run(images, labels, /*classify=*/false).score;
}

CriticOutput DcganCritic::score_and_classify(const torch::Tensor& images, const torch::Tensor& labels) {
  return run(images, labels, /*classify=*/true);
}

CriticOutput DcganCritic::run(const torch::Tensor& images, const torch::Tensor& labels, bool classify) {
  check_images(images, channels_, phase_.resolution);
  check_labels(labels, classes_, images.size(0), "critic");
  const bool grown = phase_.resolution == resolution_ && !phase_.fading();
  if (classes_ == 0 && grown) return {body_->forward(images).view({-1}), {}};
  if (!grown) {
    const auto x = features(images);
    const auto score = (body_->end() - 1)->forward(x).view({-1});
    return classes_ == 0 ? CriticOutput{score, {}} : class_tail_.finish(score, x.flatten(1), labels, classify);
  }
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
  row.grows = true;
  row.progan_layers = true;
  row.cpu_grows_from_side = 64;
  return row;
}

}  // namespace wgan
