// Which device a run uses: --device cpu|cuda|auto, and which GPU "cuda" means in this process.
#pragma once
#include <torch/torch.h>

#include <string>

namespace wgan {

// cpu, cuda or auto -> a device; UserError when cuda is asked for and absent.
torch::Device resolve_device(const std::string& name);
// Which GPU "cuda" means in this process (a distributed worker uses its LOCAL_RANK's).
void set_default_cuda_index(int index);

}  // namespace wgan
