#include "markers.h"

#include <fstream>
#include <regex>
#include <stdexcept>

#include "harness.h"

namespace e2e {

std::vector<Marker> AllMarkers(const std::string& target) {
  std::ifstream f(TargetSource(target));
  if (!f) throw std::runtime_error("cannot read " + TargetSource(target).string());
  // `func name(`, `func name[`, `func (r T) name(`, `func (r *T) name(`.
  static const std::regex func_re(R"(^func\s+(?:\(\s*\w+\s+(\*?)\s*(\w+)\s*\)\s*)?(\w+)\s*[\[(])");
  static const std::regex want_re(R"(// want: (\S+) (\S+)( steps)?(\s|$))");
  std::vector<Marker> out;
  std::string text, function;
  for (int n = 1; std::getline(f, text); n++) {
    std::smatch m;
    if (std::regex_search(text, m, func_re)) {
      if (m[2].matched) {
        function = m[1].length() ? "main.(*" + m[2].str() + ")." + m[3].str()
                                 : "main." + m[2].str() + "." + m[3].str();
      } else {
        function = "main." + m[3].str();
      }
    }
    if (std::regex_search(text, m, want_re)) {
      out.push_back({m[1], m[2], function, n, m[3].matched});
    }
  }
  return out;
}

std::vector<Marker> Markers(const std::string& target, const std::string& prefix) {
  std::vector<Marker> out;
  for (Marker& m : AllMarkers(target)) {
    if (m.label.rfind(prefix, 0) == 0) out.push_back(std::move(m));
  }
  return out;
}

Marker FindMarker(const std::string& target, const std::string& kind, const std::string& label) {
  std::vector<Marker> found;
  for (Marker& m : AllMarkers(target)) {
    if (m.kind == kind && m.label == label) found.push_back(std::move(m));
  }
  if (found.size() != 1) {
    throw std::runtime_error("marker '// want: " + kind + " " + label + "' found " +
                             std::to_string(found.size()) + " times in " +
                             TargetSource(target).string());
  }
  return found[0];
}

}  // namespace e2e
