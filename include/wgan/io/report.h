// runs/NAME/report.html: one self-contained page (no network, no scripts, no external fonts) with
// the resolved config, curves of every logged figure drawn as inline SVG, the latest sample grid
// and a strip of grids over training. Rebuilt from the run directory's own files.
#pragma once
#include <string>
#include <vector>

namespace wgan {

// A polyline chart as an SVG element: `xs`/`ys` of equal length; NaN/Inf points are dropped.
std::string svg_line_chart(const std::string& title, const std::string& x_label, const std::vector<double>& xs,
                           const std::vector<double>& ys, int width = 420, int height = 220);

// Base64 of raw bytes (for data: URIs).
std::string base64(const std::string& bytes);

// Writes RUN_DIR/report.html from config.json, metrics.jsonl and samples/*.png; returns its path.
// Throws UserError when RUN_DIR is not a run directory.
std::string write_report(const std::string& run_dir);

}  // namespace wgan
