#include "userspace/targets/mountinfo.h"

#include <vector>

namespace goretain::targets {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const std::string_view oct = s.substr(i + 1, 3);
      if (oct.find_first_not_of("01234567") == std::string_view::npos) {
        out.push_back(static_cast<char>((oct[0] - '0') * 64 + (oct[1] - '0') * 8 + (oct[2] - '0')));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> f;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') i++;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ') i++;
    if (i > start) f.push_back(line.substr(start, i - start));
  }
  return f;
}

}  // namespace

// Line: ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS
std::optional<CgroupMount> FindCgroup2Mount(std::string_view mountinfo) {
  size_t start = 0;
  while (start < mountinfo.size()) {
    size_t end = mountinfo.find('\n', start);
    if (end == std::string_view::npos) end = mountinfo.size();
    const std::vector<std::string_view> f = Fields(mountinfo.substr(start, end - start));
    start = end + 1;
    if (f.size() < 7) continue;
    size_t sep = 6;
    while (sep < f.size() && f[sep] != "-") sep++;
    if (sep + 1 >= f.size() || f[sep + 1] != "cgroup2") continue;
    return CgroupMount{Unescape(f[4]), Unescape(f[3])};
  }
  return std::nullopt;
}

}  // namespace goretain::targets
