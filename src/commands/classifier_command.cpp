#include "wgan/commands/classifier_command.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cstdio>

#include "wgan/data/fashion_mnist.h"
#include "wgan/io/torch_pickle.h"
#include "wgan/util/error.h"
#include "wgan/util/progress.h"

namespace wgan {

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

}  // namespace wgan
