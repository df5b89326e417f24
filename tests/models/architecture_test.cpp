// The architecture registry: every row builds networks that fit together, the names and aliases
// resolve, and what a row refuses is refused with the flag named.
#include "wgan/models/architecture.h"

#include <gtest/gtest.h>

#include <set>

#include "wgan/util/error.h"

namespace wgan {
namespace {

ModelConfig small_model(const Architecture& arch) {
  ModelConfig c;
  c.arch = arch.name;
  if (!arch.fixed_size) {
    c.width = 8;
    c.latent_dim = 16;
    c.resolution = 32;
    c.channels = 1;
  } else {
    c.resolution = 64;
    c.channels = 3;
  }
  return c;
}

TEST(Architectures, EveryRowBuildsAGeneratorWhoseImagesItsCriticScores) {
  std::set<std::string> names;
  for (const auto& arch : architectures()) {
    EXPECT_TRUE(names.insert(arch.name).second) << arch.name << " twice";
    EXPECT_FALSE(arch.summary.empty()) << arch.name;
    const auto model = small_model(arch);
    auto g = make_generator(model);
    auto d = make_critic(model);
    torch::NoGradGuard no_grad;
    const auto images = g->forward(torch::randn({2, model.latent_dim}));
    ASSERT_EQ(images.sizes(), (std::vector<int64_t>{2, model.channels, model.resolution, model.resolution})) << arch.name;
    EXPECT_LE(images.abs().max().item<double>(), 1.0) << arch.name;  // tanh out
    EXPECT_EQ(d->forward(images).sizes(), (std::vector<int64_t>{2})) << arch.name;
  }
  EXPECT_EQ(names.size(), 3u);  // dcgan, resnet, blog
}

TEST(Architectures, ConditionalRowsShareTheClassTailAndTheOthersRefuseClasses) {
  for (const auto& arch : architectures()) {
    auto model = small_model(arch);
    model.class_names = {"a", "b", "c"};
    model.class_head = true;
    if (!arch.takes_classes) {
      try {
        validate(model);
        FAIL() << arch.name << " took classes";
      } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find("--cond"), std::string::npos) << e.what();
      }
      continue;
    }
    auto d = make_critic(model);
    // The tail's modules keep their checkpoint names in every architecture.
    const auto params = d->named_parameters();
    EXPECT_TRUE(params.contains("projection.embedding")) << arch.name;
    EXPECT_TRUE(params.contains("class_head.weight")) << arch.name;
    torch::NoGradGuard no_grad;
    const auto images = torch::randn({4, model.channels, model.resolution, model.resolution});
    const auto labels = torch::tensor({0, 1, 2, 0}, torch::kInt64);
    const auto out = d->score_and_classify(images, labels);
    EXPECT_EQ(out.class_logits.sizes(), (std::vector<int64_t>{4, 3})) << arch.name;
    // The projection starts at zero: the score is the unconditional one until it trains.
    EXPECT_NEAR((out.score - d->forward(images, labels)).abs().max().item<double>(), 0.0, 1e-6) << arch.name;
  }
}

TEST(Architectures, NamesAndAliasesResolveAndUnknownNamesListTheChoices) {
  EXPECT_EQ(canonical_arch("seed"), "blog");
  EXPECT_EQ(canonical_arch("dcgan"), "dcgan");
  EXPECT_EQ(find_architecture("stylegan"), nullptr);
  EXPECT_EQ(architecture_names(), "dcgan, resnet, blog");
  EXPECT_EQ(architecture_names(&Architecture::takes_classes), "dcgan, resnet");
  ModelConfig c;
  c.arch = "stylegan";
  try {
    validate(c, false);
    FAIL() << "an unknown --arch passed";
  } catch (const UserError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("--arch 'stylegan'"), std::string::npos) << message;
    for (const char* name : {"dcgan", "resnet", "blog", "alias seed"})
      EXPECT_NE(message.find(name), std::string::npos) << name << " in " << message;
  }
}

}  // namespace
}  // namespace wgan
