// A trained generator, loaded from a run's checkpoint (or the blog post's G.ckpt), ready to run
// (generate/generate.h). What `sample`, `eval` and `export` start from.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>

#include "wgan/models/networks.h"
#include "wgan/run/train_config.h"

namespace wgan {

// A generator loaded from a checkpoint, in eval mode, on `device`.
struct LoadedGenerator {
  std::shared_ptr<GeneratorNet> net;
  TrainConfig config;  // the run's config
  std::string source;  // the checkpoint file
  bool is_ema = false;
  int64_t step = 0;    // generator steps the checkpoint had trained (0 for the blog post's files)
  // --grow: the side a run that has not finished growing is at (its images come upsampled to the
  // final side); 0 for a grown generator, which is loaded as its architecture's own network.
  int64_t growing_at = 0;
};
// CHECKPOINT_OR_RUN_DIR: a checkpoint file, or a run directory (its newest checkpoint). With
// `use_ema`, the EMA generator when the checkpoint has one (a note on stderr when not).
LoadedGenerator load_generator(const std::string& checkpoint_or_run_dir, bool use_ema, torch::Device device);

// sample/export --arch NAME: false for "" (the checkpoint is wgan's own), true for an architecture
// whose row reads the blog post's own state dict (blog, alias seed), else a UserError naming --arch.
bool pytorch_state_dict_arch(const std::string& arch);

// The blog post's generator from its PyTorch state dict (`torch.save(G.state_dict(), 'G.ckpt')`).
LoadedGenerator load_blog_generator(const std::string& torch_file, torch::Device device);

}  // namespace wgan
