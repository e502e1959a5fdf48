#include "userspace/targets/cgroup_path.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <vector>

namespace goretain::targets {
namespace {

bool IsHex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view StripSuffix(std::string_view s, std::string_view suffix) {
  if (s.ends_with(suffix)) s.remove_suffix(suffix.size());
  return s;
}

// Container IDs after a runtime's prefix, in the order they are tried (longest first where one
// prefix starts another). An empty runtime with `helper` marks a runtime's own process.
struct Prefix {
  std::string_view prefix;
  std::string_view runtime;
  bool helper;
};
constexpr std::array kPrefixes = {
    Prefix{"cri-containerd-", "containerd", false},
    Prefix{"crio-conmon-", "cri-o", true},
    Prefix{"crio-", "cri-o", false},
    Prefix{"docker-", "docker", false},
    Prefix{"libpod-conmon-", "podman", true},
    Prefix{"libpod-payload-", "podman", false},
    Prefix{"libpod-", "podman", false},
};

// The parser's state, one path segment at a time: later (deeper) segments override earlier ones,
// so the innermost container of a nested node wins.
class SegmentParser {
 public:
  void Segment(std::string_view seg, std::string_view parent);
  CgroupIdentity Result() const { return id_; }

 private:
  bool KubepodsSegment(std::string_view base);
  void Container(std::string_view hex, std::string_view runtime, bool helper);
  bool in_kubepods_ = false;
  CgroupIdentity id_;
};

void SegmentParser::Container(std::string_view hex, std::string_view runtime, bool helper) {
  id_.container_id = helper ? "" : Lower(hex);
  id_.runtime = std::string(runtime);
  id_.runtime_helper = helper;
}

// kubepods, kubepods-<qos>, kubepods[-<qos>]-pod<uid> (systemd driver; "kubelet-" in front when
// the kubelet itself runs in a kind node container).
bool SegmentParser::KubepodsSegment(std::string_view base) {
  if (base.starts_with("kubelet-")) base.remove_prefix(8);
  if (!base.starts_with("kubepods")) return false;
  std::string_view rest = base.substr(8);
  if (rest.empty()) {  // a new kubepods hierarchy: a nested node's pods start here
    id_ = CgroupIdentity{};
    in_kubepods_ = true;
    id_.qos = QosClass::kGuaranteed;
    return true;
  }
  if (!rest.starts_with("-")) return false;
  rest.remove_prefix(1);
  in_kubepods_ = true;
  for (auto [name, qos] : {std::pair{"burstable", QosClass::kBurstable},
                           std::pair{"besteffort", QosClass::kBestEffort}}) {
    const std::string_view n(name);
    if (rest.starts_with(n)) {
      id_.qos = qos;
      rest.remove_prefix(n.size());
      if (rest.starts_with("-")) rest.remove_prefix(1);
      break;
    }
  }
  if (rest.starts_with("pod")) {
    std::string uid = NormalizePodUid(rest.substr(3));
    if (!uid.empty()) id_.pod_uid = uid;
  }
  return true;
}

void SegmentParser::Segment(std::string_view seg, std::string_view parent) {
  if (seg.empty() || seg == "." || seg == "..") return;
  std::string_view base = StripSuffix(StripSuffix(seg, ".scope"), ".slice");
  if (KubepodsSegment(base)) return;
  if (in_kubepods_ && (base == "burstable" || base == "besteffort")) {
    id_.qos = base == "burstable" ? QosClass::kBurstable : QosClass::kBestEffort;
    return;
  }
  if (base.starts_with("pod")) {  // cgroupfs driver (dashes), or a static pod's 32-hex hash
    std::string uid = NormalizePodUid(base.substr(3));
    if (!uid.empty()) {
      id_.pod_uid = uid;
      id_.container_id.clear();
      return;
    }
  }
  if (seg == "conmon") {  // podman's cgroupfs conmon
    Container("", "podman", true);
    return;
  }
  for (const Prefix& p : kPrefixes) {
    if (!base.starts_with(p.prefix)) continue;
    std::string_view hex = base.substr(p.prefix.size());
    if (hex.size() >= 12 && hex.size() <= 64 && IsHex(hex)) {
      Container(hex, p.runtime, p.helper);
      return;
    }
  }
  if (seg.size() == 64 && IsHex(seg)) {
    Container(seg, parent == "docker" ? "docker" : "", false);
  }
}

}  // namespace

const char* QosName(QosClass qos) {
  switch (qos) {
    case QosClass::kGuaranteed: return "guaranteed";
    case QosClass::kBurstable: return "burstable";
    case QosClass::kBestEffort: return "besteffort";
    case QosClass::kNone: return "";
  }
  return "";
}

std::string NormalizePodUid(std::string_view uid) {
  std::string u = Lower(uid);
  std::replace(u.begin(), u.end(), '_', '-');
  if (u.size() == 32 && IsHex(u)) return u;
  if (u.size() != 36) return "";
  for (size_t i = 0; i < u.size(); i++) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? u[i] != '-' : !std::isxdigit(static_cast<unsigned char>(u[i]))) return "";
  }
  return u;
}

bool IsContainerIdPrefix(std::string_view id) {
  return id.size() >= 12 && id.size() <= 64 && IsHex(id);
}

CgroupIdentity ParseCgroupPath(std::string_view path) {
  SegmentParser parser;
  std::string_view parent;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    // systemd's raw "<slice>:<prefix>:<id>" (as runc receives it): the slice, then the scope.
    if (size_t c1 = seg.find(':'); c1 != std::string_view::npos) {
      const size_t c2 = seg.find(':', c1 + 1);
      parser.Segment(seg.substr(0, c1), parent);
      if (c2 != std::string_view::npos) {
        const std::string scope = std::string(seg.substr(c1 + 1, c2 - c1 - 1)) + "-" +
                                  std::string(seg.substr(c2 + 1)) + ".scope";
        parser.Segment(scope, seg.substr(0, c1));
      }
    } else {
      parser.Segment(seg, parent);
    }
    parent = seg;
    start = end + 1;
  }
  return parser.Result();
}

std::string PodCgroupPath(std::string_view path) {
  const CgroupIdentity whole = ParseCgroupPath(path);
  if (whole.pod_uid.empty()) return "";
  for (size_t end = path.find('/', 1);; end = path.find('/', end + 1)) {
    const std::string_view prefix = path.substr(0, end == std::string_view::npos ? path.size() : end);
    const CgroupIdentity id = ParseCgroupPath(prefix);
    if (id.pod_uid == whole.pod_uid) {
      return id.container_id.empty() && !id.runtime_helper ? std::string(prefix) : "";
    }
    if (end == std::string_view::npos) return "";
  }
}

ProcCgroup ParseProcCgroup(std::string_view text) {
  ProcCgroup out;
  std::optional<CgroupIdentity> from_v1;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    // hierarchy-ID:controllers:path (the path may hold ':' itself).
    const size_t c1 = line.find(':');
    if (c1 == std::string_view::npos) continue;
    const size_t c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    const std::string_view path = line.substr(c2 + 1);
    const bool unified = line.substr(0, c1) == "0" && c2 == c1 + 1;
    CgroupIdentity id = ParseCgroupPath(path);
    const bool names_something = !id.container_id.empty() || !id.pod_uid.empty() || id.runtime_helper;
    if (unified) {
      out.unified_path = std::string(path);
      if (names_something) out.identity = id;
    } else if (names_something && !from_v1) {
      from_v1 = id;
    }
  }
  const CgroupIdentity& v2 = out.identity;
  if (v2.container_id.empty() && v2.pod_uid.empty() && !v2.runtime_helper && from_v1) {
    out.identity = *from_v1;
  }
  return out;
}

}  // namespace goretain::targets
