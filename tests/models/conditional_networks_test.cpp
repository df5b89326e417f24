// Class-conditional networks (--cond): conditional BatchNorm in the generators, the projection term
// in the critics, and the label checks.
#include <gtest/gtest.h>

#include "wgan/models/networks.h"
#include "wgan/util/error.h"

namespace wgan {
namespace {

ModelConfig conditional_config(const std::string& arch, int64_t classes) {
  ModelConfig c;
  c.arch = arch;
  c.width = 8;
  c.latent_dim = 16;
  c.critic_norm = arch == "resnet" ? CriticNorm::kNone : CriticNorm::kLayer;
  for (int64_t k = 0; k < classes; ++k) c.class_names.push_back("class " + std::to_string(k));
  c.class_counts.assign(static_cast<size_t>(classes), 10);
  return c;
}

// Gives every class table random values, as training would.
void randomise_class_tables(torch::nn::Module& net) {
  torch::NoGradGuard no_grad;
  for (auto& p : net.named_parameters()) {
    const auto& name = p.key();
    if (name.find("class_norm") != std::string::npos || name.find("projection") != std::string::npos)
      p.value().normal_(0.0, 0.5);
  }
}

class ConditionalNetworks : public ::testing::TestWithParam<std::string> {};

TEST_P(ConditionalNetworks, TheClassShapesImagesFromTheStartAndScoresOnceLearned) {
  torch::manual_seed(3);
  auto config = conditional_config(GetParam(), 3);
  auto g = make_generator(config);
  auto d = make_critic(config);
  g->eval();  // BatchNorm from running statistics: a sample does not depend on the batch
  const auto z = torch::randn({2, 16}).repeat({3, 1});
  const auto labels = torch::tensor({0, 0, 1, 1, 2, 2}, torch::kInt64);
  torch::NoGradGuard no_grad;
  // The class input is random from the start: the same z gives another image in another class.
  auto images = g->forward(z, labels);
  EXPECT_EQ(images.sizes(), torch::IntArrayRef({6, 1, 32, 32}));
  EXPECT_GT((images.narrow(0, 0, 2) - images.narrow(0, 2, 2)).abs().max().item<double>(), 1e-4);
  // The projection starts at zero: every class scores an image alike until the critic learns.
  auto scores = d->forward(images, labels);
  EXPECT_EQ(scores.sizes(), torch::IntArrayRef({6}));
  EXPECT_NEAR((d->forward(images, torch::zeros({6}, torch::kInt64)) - scores).abs().max().item<double>(), 0.0, 1e-6);
  // Without the class input, zero conditional-BatchNorm tables change nothing between classes.
  {
    auto without_input = make_generator(config);
    without_input->eval();
    for (auto& p : without_input->named_parameters())
      if (p.key() == "class_input.weight") p.value().zero_();
    auto same = without_input->forward(z, labels);
    EXPECT_NEAR((same.narrow(0, 0, 2) - same.narrow(0, 2, 2)).abs().max().item<double>(), 0.0, 1e-6);
  }

  randomise_class_tables(*g);
  randomise_class_tables(*d);
  images = g->forward(z, labels);
  EXPECT_GT((images.narrow(0, 0, 2) - images.narrow(0, 2, 2)).abs().max().item<double>(), 1e-3);
  EXPECT_NEAR((images.narrow(0, 0, 2) - g->forward(z.narrow(0, 0, 2), labels.narrow(0, 0, 2))).abs().max().item<double>(),
              0.0, 1e-5);  // the same class and z give the same image in any batch
  const auto same = images.narrow(0, 0, 1).repeat({3, 1, 1, 1});
  const auto per_class = d->forward(same, torch::tensor({0, 1, 2}, torch::kInt64));
  EXPECT_GT((per_class[0] - per_class[1]).abs().item<double>(), 1e-4);
}

TEST_P(ConditionalNetworks, LabelsAreRequiredAndChecked) {
  auto config = conditional_config(GetParam(), 2);
  auto g = make_generator(config);
  auto d = make_critic(config);
  const auto z = torch::randn({2, 16});
  EXPECT_THROW(g->forward(z), UserError);                                       // no class
  EXPECT_THROW(g->forward(z, torch::zeros({3}, torch::kInt64)), UserError);     // wrong count
  EXPECT_THROW(g->forward(z, torch::zeros({2}, torch::kInt32)), UserError);     // wrong type
  EXPECT_THROW(d->forward(torch::zeros({2, 1, 32, 32})), UserError);
  ModelConfig plain = config;
  plain.class_names.clear();
  plain.class_counts.clear();
  EXPECT_THROW(make_generator(plain)->forward(z, torch::zeros({2}, torch::kInt64)), UserError);
  EXPECT_EQ(make_generator(plain)->forward(z).size(0), 2);
}

TEST_P(ConditionalNetworks, ProjectionIsTheInnerProductOfTheClassEmbeddingAndTheFeatures) {
  // score(x, a) - score(x, b) depends on x only through the features: with two classes whose
  // embeddings are equal, the scores are equal; moving one embedding by delta moves the score by
  // delta . features, which is linear in delta.
  torch::manual_seed(5);
  auto config = conditional_config(GetParam(), 2);
  auto d = make_critic(config);
  torch::NoGradGuard no_grad;
  auto embedding = d->named_parameters()["projection.embedding"];
  embedding.zero_();
  const auto x = torch::randn({1, 1, 32, 32});
  const auto a = torch::zeros({1}, torch::kInt64), b = torch::ones({1}, torch::kInt64);
  const double base = d->forward(x, b).item<double>();
  const auto delta = torch::randn({embedding.size(1)});
  embedding[1].copy_(delta);
  const double once = d->forward(x, b).item<double>() - base;
  embedding[1].copy_(2 * delta);
  const double twice = d->forward(x, b).item<double>() - base;
  EXPECT_GT(std::abs(once), 1e-4);
  EXPECT_NEAR(twice, 2 * once, 1e-4 * (1 + std::abs(once)));
  EXPECT_NEAR(d->forward(x, a).item<double>(), base, 1e-5);  // class 0 untouched
}

TEST_P(ConditionalNetworks, ClassHeadReadsTheScoresFeaturesAndOnlyWhenAsked) {
  torch::manual_seed(6);
  auto config = conditional_config(GetParam(), 3);
  const auto x = torch::randn({4, 1, 32, 32});
  const auto labels = torch::tensor({0, 1, 2, 1}, torch::kInt64);
  // Without a class head: no parameters for it and no logits.
  auto plain = make_critic(config);
  EXPECT_EQ(plain->named_parameters().find("class_head.weight"), nullptr);
  EXPECT_FALSE(plain->score_and_classify(x, labels).class_logits.defined());
  config.class_head = true;
  auto d = make_critic(config);
  torch::NoGradGuard no_grad;
  const auto out = d->score_and_classify(x, labels);
  ASSERT_TRUE(out.class_logits.defined());
  EXPECT_EQ(out.class_logits.sizes(), (std::vector<int64_t>{4, 3}));
  // The head changes no score, and the logits do not depend on the requested class.
  EXPECT_NEAR((out.score - d->forward(x, labels)).abs().max().item<double>(), 0.0, 1e-6);
  const auto other = d->score_and_classify(x, torch::zeros({4}, torch::kInt64));
  EXPECT_NEAR((other.class_logits - out.class_logits).abs().max().item<double>(), 0.0, 1e-6);
  // They are a linear function of the image's features: a changed head weight moves them.
  // named_parameters() returns a new dict: keep it, since find() points into it (a pointer into the
  // temporary dangled, and crashed depending on the heap's layout).
  auto params = d->named_parameters();
  auto* weight = params.find("class_head.weight");
  ASSERT_NE(weight, nullptr);
  weight->mul_(2);
  const auto doubled = d->score_and_classify(x, labels).class_logits;
  const auto bias = params["class_head.bias"];
  EXPECT_NEAR((doubled - bias - 2 * (out.class_logits - bias)).abs().max().item<double>(), 0.0, 1e-5);
  // A class head needs classes.
  auto unconditional = conditional_config(GetParam(), 0);
  unconditional.class_head = true;
  EXPECT_THROW(make_critic(unconditional), UserError);
}

INSTANTIATE_TEST_SUITE_P(Arch, ConditionalNetworks, ::testing::Values("dcgan", "resnet"));

TEST(ConditionalNetworks, UnconditionalParameterNamesAreUnchanged) {
  // Checkpoints of unconditional runs load as before: --cond adds class_input, class_norm* and the
  // projection (and widens the first layer by the class input).
  for (const std::string arch : {"dcgan", "resnet"}) {
    auto plain = conditional_config(arch, 0);
    auto cond = conditional_config(arch, 4);
    auto plain_g = make_generator(plain)->named_parameters(), cond_g = make_generator(cond)->named_parameters();
    auto cond_d = make_critic(cond)->named_parameters();
    for (const auto& p : plain_g) EXPECT_TRUE(cond_g.contains(p.key())) << arch << " " << p.key();
    int64_t extra = 0;
    for (const auto& p : cond_g)
      if (!plain_g.contains(p.key())) {
        EXPECT_TRUE(p.key().find("class_norm") != std::string::npos || p.key() == "class_input.weight")
            << arch << " " << p.key();
        EXPECT_EQ(p.value().size(0), 4) << p.key();
        ++extra;
      }
    EXPECT_EQ(cond_g["class_input.weight"].size(1), ClassInputImpl::kDim) << arch;
    EXPECT_GT(extra, 0) << arch;
    EXPECT_EQ(cond_d["projection.embedding"].size(0), 4) << arch;
  }
}

TEST(ConditionalNetworks, BlogArchAndSingleClassAreRefused) {
  auto blog = conditional_config("blog", 2);
  blog.width = 64;
  blog.latent_dim = 100;
  blog.resolution = 64;
  blog.channels = 3;
  EXPECT_THROW(make_generator(blog), UserError);
  EXPECT_THROW(make_generator(conditional_config("dcgan", 1)), UserError);
}

}  // namespace
}  // namespace wgan
