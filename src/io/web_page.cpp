#include "wgan/io/web_page.h"

#include <cstdlib>
#include <filesystem>

#include "wgan/io/web_assets.h"
#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"

namespace fs = std::filesystem;

namespace wgan {

const std::vector<std::string>& onnxruntime_web_files() {
  // The WebAssembly-only build: its script, the module it imports, and the SIMD wasm binary.
  static const std::vector<std::string> files = {"ort.wasm.min.js", "ort-wasm-simd-threaded.mjs",
                                                 "ort-wasm-simd-threaded.wasm"};
  return files;
}

namespace {

bool has_onnxruntime_web(const std::string& dir) {
  if (dir.empty()) return false;
  for (const auto& file : onnxruntime_web_files())
    if (!fs::is_regular_file(fs::path(dir) / file)) return false;
  return true;
}

}  // namespace

std::string find_onnxruntime_web(const std::string& given) {
  const std::string missing_files = "ort.wasm.min.js, ort-wasm-simd-threaded.mjs and ort-wasm-simd-threaded.wasm";
  if (!given.empty()) {
    if (!has_onnxruntime_web(given))
      throw UserError("--ort-web " + given + " lacks " + missing_files + " (the dist/ folder of npm's onnxruntime-web)");
    return given;
  }
  if (const char* env = std::getenv("WGAN_ORT_WEB"); env && *env) {
    if (!has_onnxruntime_web(env))
      throw UserError("WGAN_ORT_WEB=" + std::string(env) + " lacks " + missing_files);
    return env;
  }
  if (has_onnxruntime_web(WGAN_DEFAULT_ORT_WEB)) return WGAN_DEFAULT_ORT_WEB;
  throw UserError("--web needs onnxruntime-web's files (" + missing_files + "): run `make onnxruntime` once (it " +
                  "fetches the npm package into " + std::string(WGAN_DEFAULT_ORT_WEB) +
                  "), or point --ort-web at the dist/ folder of an onnxruntime-web package");
}

void write_web_page(const std::string& dir, const std::string& onnx_model, const nlohmann::json& model_facts,
                    const std::string& onnxruntime_web_dir) {
  ensure_writable_dir(dir);
  const fs::path out(dir);
  for (const auto& file : onnxruntime_web_files())
    write_file_atomic((out / file).string(), read_file((fs::path(onnxruntime_web_dir) / file).string()));
  write_file_atomic((out / "generator.onnx").string(), onnx_model);
  write_file_atomic((out / "model.js").string(),
                    "// The generator's facts, for page.js (written by wgan export --web).\nwindow.WGAN_MODEL = " +
                        model_facts.dump(2) + ";\n");
  // index.html last: a folder with a page in it is complete.
  for (const auto& asset : web_assets())
    if (std::string(asset.name) != "index.html") write_file_atomic((out / asset.name).string(), std::string(asset.text));
  for (const auto& asset : web_assets())
    if (std::string(asset.name) == "index.html") write_file_atomic((out / asset.name).string(), std::string(asset.text));
}

}  // namespace wgan
