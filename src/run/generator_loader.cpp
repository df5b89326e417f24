#include "wgan/run/generator_loader.h"

#include <iostream>
#include <map>

#include "wgan/io/torch_pickle.h"
#include "wgan/models/architecture.h"
#include "wgan/run/checkpoint.h"
#include "wgan/util/error.h"

namespace wgan {

LoadedGenerator load_generator(const std::string& checkpoint_or_run_dir, bool use_ema, torch::Device device) {
  const std::string file = resolve_checkpoint(checkpoint_or_run_dir);
  CheckpointReader reader(file, device);
  LoadedGenerator loaded;
  loaded.config = reader.config();
  loaded.source = file;
  loaded.step = reader.state().step;
  auto model = loaded.config.model;
  const GrowthPhase phase = growth_phase(loaded.config, reader.state().real_batches);
  const bool grown = phase.resolution == model.resolution && !phase.fading();
  if (model.grow_from > 0 && grown) model.grow_from = 0;  // the architecture's own network (extra layers unread)
  if (!grown) loaded.growing_at = phase.resolution;
  loaded.net = make_generator(model);
  loaded.net->set_growth(phase, /*final_size=*/true);
  if (!grown)
    std::cerr << "note: " << file << " is at " << phase.resolution << "x" << phase.resolution << " of its growth to "
              << model.resolution << "x" << model.resolution << "; its images are upsampled\n";
  loaded.net->to(device);
  loaded.is_ema = use_ema && reader.has("G_ema");
  if (use_ema && !loaded.is_ema) std::cerr << "note: " << file << " has no EMA generator; using G\n";
  reader.load_module(loaded.is_ema ? "G_ema" : "G", *loaded.net);
  loaded.net->eval();
  return loaded;
}

bool pytorch_state_dict_arch(const std::string& arch) {
  if (arch.empty()) return false;
  const Architecture* row = find_architecture(arch);
  if (row && row->reads_pytorch_state_dict) return true;
  throw UserError("--arch '" + arch + "': only " + architecture_names(&Architecture::reads_pytorch_state_dict) +
                  " (the blog post's G.ckpt) is read from a PyTorch file");
}

LoadedGenerator load_blog_generator(const std::string& torch_file, torch::Device device) {
  const auto tensors = load_torch_file(torch_file);
  LoadedGenerator loaded;
  loaded.config.model.arch = "blog";
  loaded.config.model.resolution = 64;
  loaded.config.model.channels = 3;
  loaded.source = torch_file;
  loaded.net = make_generator(loaded.config.model);
  std::map<std::string, torch::Tensor> by_name(tensors.begin(), tensors.end());
  torch::NoGradGuard no_grad;
  for (auto& [name, target] : module_state(*loaded.net)) {
    auto it = by_name.find(name);
    if (it == by_name.end())
      throw UserError(torch_file + " lacks " + name + ": not the blog post's Generator state dict");
    if (it->second.sizes() != target.sizes()) {
      throw UserError(torch_file + ": " + name + " has shape " + c10::str(it->second.sizes()) +
                      ", the blog post's Generator has " + c10::str(target.sizes()));
    }
    target.copy_(it->second);
  }
  loaded.net->to(device);
  loaded.net->eval();
  return loaded;
}

}  // namespace wgan
