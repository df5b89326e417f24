// Text that came from a file, made safe for a terminal: a message may quote a damaged or hostile
// file, and raw bytes from it could garble the terminal or move its cursor.
#pragma once
#include <cstddef>
#include <string>

namespace wgan {

// `text` with printable ASCII kept and every other byte written as \xNN, cut to `max_chars`
// characters (with "..." after a cut). For names and values read from a file.
std::string printable(const std::string& text, size_t max_chars = 80);

// A whole message for the terminal: valid UTF-8 and newlines/tabs kept, control characters and
// bytes that are not valid UTF-8 written as \xNN. Nothing is cut.
std::string terminal_safe(const std::string& message);

}  // namespace wgan
