// The pieces report.html is drawn with (report_command.h writes the page): inline SVG charts and
// base64 for data: URIs.
#pragma once
#include <string>
#include <vector>

namespace wgan {

// A labelled vertical line on a chart (--grow: where a phase begins).
struct ChartMark {
  double x;
  std::string label;
};

// A polyline chart as an SVG element: `xs`/`ys` of equal length; NaN/Inf points are dropped.
// `marks` inside the x range are drawn as dashed vertical lines with their labels.
std::string svg_line_chart(const std::string& title, const std::string& x_label, const std::vector<double>& xs,
                           const std::vector<double>& ys, int width = 420, int height = 220,
                           const std::vector<ChartMark>& marks = {});

// --grow: the marks of a run's phases from metrics.jsonl's resolution and fade_in columns (per
// line, NaN where absent): "16x16 fades in" where a side first appears, "16x16" where its
// fade-in is complete.
std::vector<ChartMark> growth_marks(const std::vector<double>& kimg, const std::vector<double>& resolution,
                                    const std::vector<double>& fade_in);

// Base64 of raw bytes (for data: URIs).
std::string base64(const std::string& bytes);

}  // namespace wgan
