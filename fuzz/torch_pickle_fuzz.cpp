// The unpickler of torch.save's data.pkl (io/torch_pickle.h): any bytes give tensors or a UserError.
#include <cstdint>
#include <string>

#include "wgan/io/torch_pickle.h"
#include "wgan/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string pickle(reinterpret_cast<const char*>(data), size);
  // Every storage the pickle names exists, small: the harness explores the pickle, not memory.
  const wgan::StorageLoader loader = [](const std::string&, torch::ScalarType dtype) {
    return torch::zeros({64}, torch::TensorOptions().dtype(dtype));
  };
  try {
    wgan::unpickle_tensors(pickle, loader);
  } catch (const wgan::UserError&) {
  }
  return 0;
}
