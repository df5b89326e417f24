// Reads PyTorch's own checkpoint files (`torch.save(G.state_dict(), 'G.ckpt')`): the zip archive
// holds data.pkl, a pickle that refers to one raw storage record per tensor. LibTorch 1.13's
// pickle_load stops at the collections.OrderedDict that state_dict() returns, so this is a small
// unpickler of its own for the opcodes torch.save writes (protocol 2), which rebuilds tensors
// from their storages. Any malformed input is a UserError, never a crash.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace wgan {

// Named tensors in file order (a state dict, or {"": tensor} for a bare tensor).
using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// A module's state dict: its parameters, then its buffers, by name. The tensors alias the
// module's own (writing into them writes into the module).
NamedTensors module_state(torch::nn::Module& module);

// Loads storage `key` as a 1-D tensor of `dtype` (the raw record data/<key>).
using StorageLoader = std::function<torch::Tensor(const std::string& key, torch::ScalarType dtype)>;

// Unpickles `pickle` and returns every tensor of the top-level dict (or the top-level tensor).
NamedTensors unpickle_tensors(const std::string& pickle, const StorageLoader& load_storage);

// Writes `tensors` as Python's torch.save(OrderedDict(...)) does (zip format, pickle protocol 2,
// one storage record per tensor), so that torch.load returns a state dict that
// Module.load_state_dict accepts. Tensors are written contiguous, on the CPU. Atomic.
void save_torch_state_dict(const std::string& path, const NamedTensors& tensors);

// Reads a file written by torch.save (zip format). UserError naming the file when it is the
// legacy non-zip format (with how to re-save it), not a PyTorch file, or malformed.
NamedTensors load_torch_file(const std::string& path);

}  // namespace wgan
