// `wgan report RUN_DIR` (and the trainer at every sample interval): runs/NAME/report.html, one
// self-contained page (no network, no scripts, no external fonts) with the resolved config, curves
// of every logged figure drawn as inline SVG, the latest sample grid and a strip of grids over
// training. Rebuilt from the run directory's own files. Implemented in src/io/report.cpp.
#pragma once
#include <string>

namespace wgan {

// Writes RUN_DIR/report.html from config.json, metrics.jsonl and samples/*.png; returns its path.
// Throws UserError when RUN_DIR is not a run directory.
std::string write_report(const std::string& run_dir);

}  // namespace wgan
