// The committed Fashion-MNIST classifier and the fd-fmnist metric built on it.
#include <gtest/gtest.h>

#include "wgan/data/fashion_mnist.h"
#include "wgan/metrics/fashion_classifier.h"
#include "wgan/metrics/metric.h"

using namespace wgan;

TEST(FashionClassifier, CommittedWeightsReach91PercentOnTheTestSplit) {
  auto net = load_fashion_classifier(default_classifier_path());
  auto test = load_fashion_mnist(kFashionMnistDefaultDir, FashionMnistSplit::kTest);
  auto labels = load_fashion_mnist_labels(kFashionMnistDefaultDir, FashionMnistSplit::kTest);
  const double accuracy = classifier_accuracy(net, test.images.permute({0, 3, 1, 2}).contiguous(), labels);
  EXPECT_GE(accuracy, 0.91);
  EXPECT_LE(accuracy, 1.0);
}

TEST(FashionClassifier, MissingWeightsAreAUserErrorNamingTheFlag) {
  try {
    load_fashion_classifier("/nonexistent/classifier.pt");
    FAIL() << "expected a UserError";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("--classifier"), std::string::npos) << e.what();
  }
}

TEST(FashionClassifier, TestImagesAgainstThemselvesScoreZeroWithEveryClass) {
  MetricContext context;
  auto metrics = make_metrics("fd-fmnist", context);
  auto test = load_fashion_mnist(kFashionMnistDefaultDir, FashionMnistSplit::kTest);
  auto figures = metrics[0]->evaluate(test.images.permute({0, 3, 1, 2}).contiguous());
  // Zero up to the square root of rounding-level eigenvalues of features that never fire.
  EXPECT_NEAR(figures["fd_fmnist"].get<double>(), 0.0, 1e-3);
  EXPECT_EQ(figures["fd_fmnist_classes_covered"].get<int64_t>(), 10);
  EXPECT_NEAR(figures["fd_fmnist_class_kl"].get<double>(), 0.0, 0.02);
  // The floor (10k training images against the test split) is small but not zero.
  EXPECT_GT(figures["fd_fmnist_floor"].get<double>(), 0.0);
  // A shifted copy (every image moved 3 pixels right) is measurably farther.
  auto shifted = test.images.permute({0, 3, 1, 2}).roll(3, 3).contiguous();
  auto far = metrics[0]->evaluate(shifted);
  EXPECT_GT(far["fd_fmnist"].get<double>(), figures["fd_fmnist_floor"].get<double>());
}

TEST(FashionClassifier, WrongImageShapeIsAUserError) {
  MetricContext context;
  auto metrics = make_metrics("fd-fmnist", context);
  EXPECT_THROW(metrics[0]->evaluate(torch::zeros({4, 3, 64, 64}, torch::kUInt8)), std::runtime_error);
  EXPECT_THROW(make_metrics("fd-fmnist,bogus", context), std::runtime_error);
  EXPECT_THROW(make_metrics("swd,swd", context), std::runtime_error);
}

TEST(FashionClassifier, ClassMatchIsTheClassifiersAgreementWithTheRequestedClasses) {
  // The test images "generated as" their true classes: class_match is the classifier's accuracy and
  // each class's distance to its own test images is zero; with every label moved to the next class
  // the match collapses and the per-class distances grow.
  MetricContext context;
  auto metrics = make_metrics("fd-fmnist", context);
  const auto test = load_fashion_mnist(kFashionMnistDefaultDir, FashionMnistSplit::kTest);
  const auto images = test.images.permute({0, 3, 1, 2}).contiguous();
  const auto labels = load_fashion_mnist_labels(kFashionMnistDefaultDir, FashionMnistSplit::kTest);
  auto net = load_fashion_classifier(default_classifier_path());
  const double accuracy = classifier_accuracy(net, images, labels);
  auto right = metrics[0]->evaluate(images, labels);
  EXPECT_NEAR(right["fd_fmnist_class_match"].get<double>(), accuracy, 1e-9);
  EXPECT_NEAR(right["fd_fmnist_class_match_per_class"]["Trouser"].get<double>(),
              right["fd_fmnist_test_accuracy_per_class"]["Trouser"].get<double>(), 1e-9);
  EXPECT_LE(right["fd_fmnist_class_match_min"].get<double>(), right["fd_fmnist_class_match"].get<double>());
  EXPECT_NEAR(right["fd_fmnist_per_class"]["Bag"].get<double>(), 0.0, 1e-2);
  EXPECT_NEAR(right["fd_fmnist_per_class_mean"].get<double>(), 0.0, 1e-2);

  auto wrong = metrics[0]->evaluate(images, (labels + 1).remainder(10));
  EXPECT_LT(wrong["fd_fmnist_class_match"].get<double>(), 0.1);
  EXPECT_GT(wrong["fd_fmnist_per_class_mean"].get<double>(), 10.0);
  EXPECT_NEAR(wrong["fd_fmnist"].get<double>(), right["fd_fmnist"].get<double>(), 1e-6);  // the whole set is the same
}
