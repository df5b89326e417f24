// `wgan export`: the generator as a file other programs load: a PyTorch state dict (.pt), an ONNX
// model (.onnx, io/onnx_model.h), or with --web a folder that generates in the browser
// (io/web_page.h). docs/export.md documents all three.
#pragma once
#include <string>
#include <vector>

namespace wgan {

struct ExportConfig {
  std::string checkpoint;  // checkpoint file or run directory (its newest checkpoint)
  std::string to;          // FILE.pt, FILE.onnx, or a folder with --web
  bool use_ema = true;     // the generator's moving average (false: the raw generator)
  bool web = false;        // write the browser page into the folder `to`
  std::string ort_web;     // onnxruntime-web's dist/ folder for --web (default: web_page.h)
  std::string arch;        // "blog" (alias "seed"): --checkpoint is the blog post's own G.ckpt
};

void validate(const ExportConfig& config);

// Runs `wgan export`; returns the paths written (the folder for --web).
std::vector<std::string> run_export(const ExportConfig& config);

}  // namespace wgan
