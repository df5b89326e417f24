// Whether two checkpoints hold the same run: every weight of G, D and G_ema, bit for bit.
#pragma once
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "wgan/models/networks.h"
#include "wgan/run/checkpoint.h"

namespace wgan::test_support {

inline void expect_same_weights(const std::string& checkpoint_a, const std::string& checkpoint_b) {
  CheckpointReader a(checkpoint_a), b(checkpoint_b);
  for (const char* part : {"G", "D", "G_ema"}) {
    auto net_for = [part](const CheckpointReader& reader) {
      return part[0] == 'D' ? std::shared_ptr<torch::nn::Module>(make_critic(reader.config().model))
                            : std::shared_ptr<torch::nn::Module>(make_generator(reader.config().model));
    };
    auto net_a = net_for(a), net_b = net_for(b);
    a.load_module(part, *net_a);
    b.load_module(part, *net_b);
    const auto pa = net_a->parameters(), pb = net_b->parameters();
    ASSERT_EQ(pa.size(), pb.size());
    for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i])) << part << " parameter " << i;
  }
}

}  // namespace wgan::test_support
