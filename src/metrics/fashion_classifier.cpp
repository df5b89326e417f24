#include "wgan/metrics/fashion_classifier.h"

#include <ATen/CPUGeneratorImpl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "wgan/data/dataset.h"
#include "wgan/data/fashion_mnist.h"
#include "wgan/io/torch_pickle.h"
#include "wgan/util/error.h"
#include "wgan/util/progress.h"
#include "wgan/util/stop_request.h"

namespace fs = std::filesystem;
namespace nn = torch::nn;

#ifndef WGAN_SOURCE_MODELS_DIR
#define WGAN_SOURCE_MODELS_DIR ""
#endif

namespace wgan {

namespace {
void add_conv_block(nn::Sequential& body, int64_t in, int64_t out) {
  body->push_back(nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1).bias(false)));
  body->push_back(nn::BatchNorm2d(out));
  body->push_back(nn::ReLU());
  body->push_back(nn::MaxPool2d(2));
}
}  // namespace

FashionClassifierImpl::FashionClassifierImpl() {
  nn::Sequential body;
  add_conv_block(body, 1, 32);
  add_conv_block(body, 32, 64);
  add_conv_block(body, 64, 128);
  body->push_back(nn::Flatten());
  body->push_back(nn::Linear(128 * 4 * 4, kFeatureDim));
  body->push_back(nn::ReLU());
  body_ = register_module("body", body);
  dropout_ = register_module("dropout", nn::Dropout(0.3));
  head_ = register_module("head", nn::Linear(kFeatureDim, kClasses));
}

torch::Tensor FashionClassifierImpl::features(const torch::Tensor& images) {
  if (images.dim() != 4 || images.size(1) != 1 || images.size(2) != 32 || images.size(3) != 32)
    throw UserError("the Fashion-MNIST classifier takes 1 x 32 x 32 images, got " + c10::str(images.sizes()));
  return body_->forward(images);
}

torch::Tensor FashionClassifierImpl::logits(const torch::Tensor& features) {
  return head_->forward(dropout_->forward(features));
}

torch::Tensor FashionClassifierImpl::forward(const torch::Tensor& images) { return logits(features(images)); }

void for_each_batch(const torch::Tensor& images_uint8, int64_t batch,
                    const std::function<void(const torch::Tensor&)>& fn) {
  for (int64_t start = 0; start < images_uint8.size(0); start += batch) {
    abandon_if_stopped();
    fn(to_signed_unit(images_uint8.slice(0, start, std::min(start + batch, images_uint8.size(0)))));
  }
}

torch::Tensor map_batches(const torch::Tensor& images_uint8, int64_t batch,
                          const std::function<torch::Tensor(const torch::Tensor&)>& fn) {
  std::vector<torch::Tensor> out;
  for_each_batch(images_uint8, batch, [&](const torch::Tensor& x) { out.push_back(fn(x)); });
  return torch::cat(out);
}

double classifier_accuracy(FashionClassifier& net, const torch::Tensor& images_uint8, const torch::Tensor& labels) {
  torch::NoGradGuard no_grad;
  const bool was_training = net->is_training();
  net->eval();
  auto device = net->parameters().front().device();
  auto predicted = map_batches(images_uint8, 500, [&](const torch::Tensor& x) {
    return net->forward(x.to(device)).argmax(1).cpu();
  });
  net->train(was_training);
  return predicted.eq(labels).to(torch::kFloat64).mean().item<double>();
}

FashionClassifier load_fashion_classifier(const std::string& path, torch::Device device) {
  if (!fs::exists(path))
    throw UserError("classifier weights " + path + " not found: pass --classifier FILE (made by `wgan classifier`)");
  auto loaded = load_torch_file(path);
  FashionClassifier net;
  auto state = module_state(*net);
  std::map<std::string, torch::Tensor> by_name(loaded.begin(), loaded.end());
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : state) {
    auto it = by_name.find(name);
    if (it == by_name.end()) throw UserError(path + " lacks " + name + ": not a `wgan classifier` weights file");
    if (it->second.sizes() != tensor.sizes())
      throw UserError(path + ": " + name + " has shape " + c10::str(it->second.sizes()) + ", expected " +
                      c10::str(tensor.sizes()));
    tensor.copy_(it->second);
  }
  net->to(device);
  net->eval();
  return net;
}

std::string default_classifier_path() {
  const char* name = "fashion_mnist_classifier.pt";
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    auto beside = fs::path(exe).parent_path().parent_path() / "models" / name;
    if (fs::exists(beside)) return beside.string();
  }
  return (fs::path(WGAN_SOURCE_MODELS_DIR) / name).string();
}

}  // namespace wgan
