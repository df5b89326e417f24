#include "wgan/io/report.h"
#include "wgan/io/report_command.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "wgan/util/atomic_file.h"
#include "wgan/util/error.h"

namespace fs = std::filesystem;

namespace wgan {

std::string base64(const std::string& in) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(table[(v >> s) & 63]);
  }
  if (i < in.size()) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    if (i + 1 < in.size()) v |= uint32_t(uint8_t(in[i + 1])) << 8;
    out.push_back(table[(v >> 18) & 63]);
    out.push_back(table[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? table[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

namespace {

std::string escape_html(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

}  // namespace

std::string svg_line_chart(const std::string& title, const std::string& x_label, const std::vector<double>& xs_in,
                           const std::vector<double>& ys_in, int width, int height,
                           const std::vector<ChartMark>& marks) {
  std::vector<double> xs, ys;
  for (size_t i = 0; i < std::min(xs_in.size(), ys_in.size()); ++i) {
    if (std::isfinite(xs_in[i]) && std::isfinite(ys_in[i])) {
      xs.push_back(xs_in[i]);
      ys.push_back(ys_in[i]);
    }
  }
  const int left = 56, right = 12, top = 26, bottom = 34;
  const int pw = width - left - right, ph = height - top - bottom;
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" role=\"img\" aria-label=\"" << escape_html(title) << "\">"
      << "<rect x=\"0\" y=\"0\" width=\"" << width << "\" height=\"" << height << "\" fill=\"#fff\"/>"
      << "<text x=\"" << left << "\" y=\"16\" font-size=\"13\" font-family=\"sans-serif\" font-weight=\"bold\">"
      << escape_html(title) << "</text>"
      << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << pw << "\" height=\"" << ph
      << "\" fill=\"none\" stroke=\"#bbb\"/>";
  if (xs.empty()) {
    svg << "<text x=\"" << left + 10 << "\" y=\"" << top + ph / 2 << "\" font-size=\"12\" font-family=\"sans-serif\">"
        << "no data yet</text></svg>";
    return svg.str();
  }
  double x0 = *std::min_element(xs.begin(), xs.end()), x1 = *std::max_element(xs.begin(), xs.end());
  double y0 = *std::min_element(ys.begin(), ys.end()), y1 = *std::max_element(ys.begin(), ys.end());
  if (x1 - x0 < 1e-12) x1 = x0 + 1;
  if (y1 - y0 < 1e-12) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * pw; };
  auto py = [&](double y) { return top + ph - (y - y0) / (y1 - y0) * ph; };
  for (const auto& mark : marks) {
    if (!(mark.x >= x0 && mark.x <= x1)) continue;
    const double x = px(mark.x);
    svg << "<line x1=\"" << number(x) << "\" y1=\"" << top << "\" x2=\"" << number(x) << "\" y2=\"" << top + ph
        << "\" stroke=\"#999\" stroke-dasharray=\"3,3\"/><text x=\"" << number(x + 2) << "\" y=\"" << top + 9
        << "\" font-size=\"9\" font-family=\"sans-serif\" fill=\"#666\">" << escape_html(mark.label) << "</text>";
  }
  svg << "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"";
  for (size_t i = 0; i < xs.size(); ++i) svg << number(px(xs[i])) << "," << number(py(ys[i])) << " ";
  svg << "\"/>";
  const auto label = [&](double x, double y, const std::string& text, const char* anchor) {
    svg << "<text x=\"" << number(x) << "\" y=\"" << number(y) << "\" font-size=\"11\" font-family=\"sans-serif\" "
        << "text-anchor=\"" << anchor << "\">" << escape_html(text) << "</text>";
  };
  label(left - 4, top + 10, number(y1), "end");
  label(left - 4, top + ph, number(y0), "end");
  label(left, height - 18, number(x0), "start");
  label(left + pw, height - 18, number(x1), "end");
  label(left + pw / 2.0, height - 4, x_label, "middle");
  svg << "</svg>";
  return svg.str();
}

std::vector<ChartMark> growth_marks(const std::vector<double>& kimg, const std::vector<double>& resolution,
                                    const std::vector<double>& fade_in) {
  std::vector<ChartMark> marks;
  double side = NAN;
  bool fading = false;
  for (size_t i = 0; i < std::min({kimg.size(), resolution.size(), fade_in.size()}); ++i) {
    if (!std::isfinite(resolution[i]) || !std::isfinite(fade_in[i])) continue;
    const std::string name = std::to_string(static_cast<int64_t>(resolution[i])) + "x" +
                             std::to_string(static_cast<int64_t>(resolution[i]));
    if (resolution[i] != side) {
      const bool first = std::isnan(side);
      side = resolution[i];
      fading = fade_in[i] < 1.0;
      if (!first) marks.push_back({kimg[i], fading ? name + " fades in" : name});
    } else if (fading && fade_in[i] >= 1.0) {
      fading = false;
      marks.push_back({kimg[i], name});
    }
  }
  return marks;
}

std::string write_report(const std::string& run_dir) {
  const fs::path dir(run_dir);
  if (!fs::exists(dir / "config.json")) throw UserError(run_dir + " is not a run directory (no config.json)");
  const std::string config_text = read_file((dir / "config.json").string());

  // Every numeric field of metrics.jsonl becomes a curve over kimg; a bad line is skipped.
  std::map<std::string, std::vector<double>> series;
  std::vector<double> kimg;
  if (fs::exists(dir / "metrics.jsonl")) {
    std::istringstream lines(read_file((dir / "metrics.jsonl").string()));
    std::string line;
    while (std::getline(lines, line)) {
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception&) {
        continue;
      }
      if (!j.contains("kimg") || !j["kimg"].is_number()) continue;
      kimg.push_back(j["kimg"].get<double>());
      for (auto& [key, value] : series) value.resize(kimg.size() - 1, NAN);
      for (const auto& [key, value] : j.items()) {
        if (key == "kimg" || key == "step" || !value.is_number()) continue;
        auto& s = series[key];
        s.resize(kimg.size() - 1, NAN);
        s.push_back(value.get<double>());
      }
    }
    for (auto& [key, value] : series) value.resize(kimg.size(), NAN);
  }

  std::vector<fs::path> grids;
  if (fs::is_directory(dir / "samples")) {
    for (const auto& e : fs::directory_iterator(dir / "samples")) {
      if (e.path().extension() == ".png") grids.push_back(e.path());
    }
  }
  std::sort(grids.begin(), grids.end());

  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>wgan report: "
       << escape_html(dir.filename().string())
       << "</title><style>body{font-family:sans-serif;margin:24px;color:#222}"
          ".charts{display:flex;flex-wrap:wrap;gap:12px}.strip img{margin-right:6px}"
          "img.pixel{image-rendering:pixelated}pre{background:#f6f6f6;padding:8px;font-size:12px}"
          "figure{display:inline-block;margin:0 8px 8px 0}figcaption{font-size:12px}</style></head><body>\n"
       << "<h1>wgan run: " << escape_html(dir.filename().string()) << "</h1>\n";
  html << "<h2>Curves</h2><div class=\"charts\">";
  const std::vector<std::pair<std::string, std::string>> preferred = {
      {"critic_loss", "critic loss"}, {"wasserstein", "Wasserstein estimate"}, {"penalty", "gradient penalty"},
      {"generator_loss", "generator loss"}, {"images_per_s", "images / s"}};
  const auto marks = series.count("resolution") && series.count("fade_in")
                         ? growth_marks(kimg, series["resolution"], series["fade_in"])
                         : std::vector<ChartMark>();
  std::vector<std::string> done;
  for (const auto& [key, title] : preferred) {
    if (!series.count(key)) continue;
    html << svg_line_chart(title, "kimg", kimg, series[key], 420, 220, marks);
    done.push_back(key);
  }
  for (const auto& [key, values] : series) {
    if (std::find(done.begin(), done.end(), key) == done.end() && key != "time_s") {
      html << svg_line_chart(key, "kimg", kimg, values, 420, 220, marks);
    }
  }
  if (series.empty()) html << "<p>No metrics yet.</p>";
  html << "</div>\n";
  if (!grids.empty()) {
    html << "<h2>Latest samples (" << escape_html(grids.back().filename().string()) << ")</h2>"
         << "<img class=\"pixel\" alt=\"latest sample grid\" width=\"512\" src=\"data:image/png;base64,"
         << base64(read_file(grids.back().string())) << "\">\n<h2>Over training</h2><div class=\"strip\">";
    const size_t shown = std::min<size_t>(grids.size(), 8);
    for (size_t k = 0; k < shown; ++k) {
      const size_t i = shown == 1 ? 0 : k * (grids.size() - 1) / (shown - 1);
      html << "<figure><img class=\"pixel\" alt=\"samples " << escape_html(grids[i].filename().string())
           << "\" width=\"160\" src=\"data:image/png;base64," << base64(read_file(grids[i].string()))
           << "\"><figcaption>step " << escape_html(grids[i].stem().string()) << "</figcaption></figure>";
    }
    html << "</div>\n";
  }
  html << "<h2>Config</h2><pre>" << escape_html(config_text) << "</pre>\n</body></html>\n";
  const std::string path = (dir / "report.html").string();
  write_file_atomic(path, html.str());
  return path;
}

}  // namespace wgan
