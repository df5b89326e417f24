// The pieces report.html is drawn with (report_command.h writes the page): inline SVG charts and
// base64 for data: URIs.
#pragma once
#include <string>
#include <vector>

namespace wgan {

// A polyline chart as an SVG element: `xs`/`ys` of equal length; NaN/Inf points are dropped.
std::string svg_line_chart(const std::string& title, const std::string& x_label, const std::vector<double>& xs,
                           const std::vector<double>& ys, int width = 420, int height = 220);

// Base64 of raw bytes (for data: URIs).
std::string base64(const std::string& bytes);

}  // namespace wgan
