// `wgan export --web DIR`: a static folder that generates images in the browser. index.html and its
// scripts (web/, built in), the generator as generator.onnx, the model's facts as model.js, and the
// onnxruntime-web files it runs on, copied from that npm package: nothing is fetched from elsewhere
// when the page runs. It opens from any static server (python3 -m http.server); browsers that
// refuse WebAssembly from file:// get a message that says so.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace wgan {

// The files of onnxruntime-web's dist/ folder the page loads.
const std::vector<std::string>& onnxruntime_web_files();

// The onnxruntime-web dist/ folder to copy from: `given` (--ort-web), else $WGAN_ORT_WEB, else the
// copy `make onnxruntime` fetches into the build folder. UserError naming the flag and the command
// to run when none holds the files.
std::string find_onnxruntime_web(const std::string& given);

// Writes the folder (created when missing; existing page files replaced). `model_facts` becomes
// model.js (window.WGAN_MODEL): latent_dim, resolution, channels, arch, step, weights, wgan_version.
void write_web_page(const std::string& dir, const std::string& onnx_model, const nlohmann::json& model_facts,
                    const std::string& onnxruntime_web_dir);

}  // namespace wgan
