// `wgan export`: the generator as a file other programs load.
#pragma once
#include <string>

namespace wgan {

// The generator (its EMA unless `use_ema` is false) as a PyTorch state dict file that torch.load
// reads; with --arch blog its names are the blog post's own.
void export_generator(const std::string& checkpoint_or_run_dir, bool use_ema, const std::string& to);

}  // namespace wgan
