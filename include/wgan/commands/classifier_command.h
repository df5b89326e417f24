// `wgan classifier`: trains the Fashion-MNIST classifier whose features the fd-fmnist metric uses.
#pragma once
#include <string>

#include "wgan/data/fashion_mnist.h"
#include "wgan/metrics/fashion_classifier.h"

namespace wgan {

struct ClassifierTrainOptions {
  std::string data_dir = kFashionMnistDefaultDir;
  std::string out;           // where the weights go (a PyTorch state dict)
  int64_t epochs = 10;
  int64_t batch = 128;
  double lr = 1e-3;          // Adam; divided by 10 for the last fifth of the epochs
  uint64_t seed = 1;
  int64_t threads = 0;
  int64_t max_images = 0;    // train on the first N only (tests)
};

// Trains on the 60k training images (random left-right flips), reports test accuracy each
// epoch, writes the weights atomically; returns the final test accuracy.
double train_fashion_classifier(const ClassifierTrainOptions& options);

}  // namespace wgan
