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
  for (int64_t start = 0; start < images_uint8.size(0); start += batch)
    fn(to_signed_unit(images_uint8.slice(0, start, std::min(start + batch, images_uint8.size(0)))));
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

double train_fashion_classifier(const ClassifierTrainOptions& o) {
  if (o.out.empty()) throw UserError("--out: where to write the classifier's weights");
  if (o.epochs < 1 || o.batch < 1 || !(o.lr > 0)) throw UserError("--epochs, --batch and --lr must be positive");
  if (o.threads > 0) torch::set_num_threads(static_cast<int>(o.threads));
  torch::manual_seed(o.seed);
  auto train = load_fashion_mnist(o.data_dir, FashionMnistSplit::kTrain, o.max_images);
  auto train_labels = load_fashion_mnist_labels(o.data_dir, FashionMnistSplit::kTrain).slice(0, 0, train.size());
  auto test = load_fashion_mnist(o.data_dir, FashionMnistSplit::kTest);
  auto test_labels = load_fashion_mnist_labels(o.data_dir, FashionMnistSplit::kTest);
  auto train_images = train.images.permute({0, 3, 1, 2}).contiguous();
  auto test_images = test.images.permute({0, 3, 1, 2}).contiguous();

  FashionClassifier net;
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(o.lr));
  auto rng = at::detail::createCPUGenerator(o.seed);
  const int64_t batches = train_images.size(0) / o.batch;
  const int64_t decay_epoch = o.epochs - std::max<int64_t>(1, o.epochs / 5);
  double accuracy = 0;
  for (int64_t epoch = 0; epoch < o.epochs; ++epoch) {
    if (epoch == decay_epoch)
      for (auto& group : opt.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(o.lr * 0.1);
    net->train();
    auto order = torch::randperm(train_images.size(0), rng, torch::kLong);
    ProgressBar progress("classifier epoch " + std::to_string(epoch + 1) + "/" + std::to_string(o.epochs), batches);
    double loss_sum = 0;
    for (int64_t b = 0; b < batches; ++b) {
      auto idx = order.slice(0, b * o.batch, (b + 1) * o.batch);
      auto x = to_signed_unit(train_images.index_select(0, idx));
      auto flip = torch::rand({o.batch}, rng) < 0.5;
      x = torch::where(flip.view({-1, 1, 1, 1}), x.flip({3}), x);
      auto loss = torch::nn::functional::cross_entropy(net->forward(x), train_labels.index_select(0, idx));
      opt.zero_grad();
      loss.backward();
      opt.step();
      loss_sum += loss.item<double>();
      if (b % 20 == 0 || b + 1 == batches) {
        char suffix[64];
        std::snprintf(suffix, sizeof suffix, "loss %.4f", loss_sum / (b + 1));
        progress.update(b + 1, suffix, b + 1 == batches);
      }
    }
    progress.finish();
    accuracy = classifier_accuracy(net, test_images, test_labels);
    std::printf("epoch %lld: train loss %.4f, test accuracy %.4f\n", static_cast<long long>(epoch + 1),
                loss_sum / batches, accuracy);
    std::fflush(stdout);
  }
  net->eval();
  save_torch_state_dict(o.out, module_state(*net));
  return accuracy;
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
