#include "userspace/goruntime/go_releases.h"

namespace goretain {

const GoRelease* FindGoRelease(const symbols::GoVersion& v) {
  if (v.major != 1 || v.minor < kMinGoMinor || v.minor > kMaxGoMinor) return nullptr;
  return &kGoReleases[v.minor - kMinGoMinor];
}

const GoRelease& GoReleaseRules(const symbols::GoVersion& v) {
  if (const GoRelease* r = FindGoRelease(v)) return *r;
  const bool newer = v.major > 1 || (v.major == 1 && v.minor > kMaxGoMinor);
  return newer ? kGoReleases[std::size(kGoReleases) - 1] : kGoReleases[0];
}

}  // namespace goretain
