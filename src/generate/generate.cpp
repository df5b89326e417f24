#include "wgan/generate/generate.h"

#include <algorithm>
#include <vector>

#include "wgan/generate/latent.h"
#include "wgan/util/stop_request.h"

namespace wgan {

torch::Tensor run_generator(GeneratorNet& net, const torch::Tensor& z, const torch::Tensor& labels,
                            torch::Device device, int64_t batch) {
  torch::NoGradGuard no_grad;
  const int64_t count = z.size(0);
  std::vector<torch::Tensor> chunks;
  for (int64_t start = 0; start < count; start += batch) {
    abandon_if_stopped();  // a quality evaluation during training gives way to a stop signal
    const int64_t size = std::min(batch, count - start);
    const auto chunk_labels = labels.defined() ? labels.narrow(0, start, size).to(device) : torch::Tensor();
    chunks.push_back(net.forward(z.narrow(0, start, size).to(device), chunk_labels).cpu());
  }
  return torch::cat(chunks);
}

torch::Tensor generate(GeneratorNet& net, int64_t latent_dim, int64_t count, uint64_t seed, torch::Device device,
                       int64_t batch, const torch::Tensor& labels) {
  return run_generator(net, draw_z(count, latent_dim, seed), labels, device, batch);
}

}  // namespace wgan
