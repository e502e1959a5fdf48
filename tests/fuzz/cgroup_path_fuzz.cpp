// libFuzzer target for the cgroup parsers of userspace/targets/: the input is a /proc/PID/cgroup
// text, also read as one path, a pod UID, a container ID prefix and a mountinfo text. They must
// never crash, and what they return must keep its contract (IDs are hex, UIDs normalized).
// Built and run by scripts/fuzz-targets.sh (clang++ -fsanitize=fuzzer,address,undefined).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "userspace/targets/cgroup_path.h"
#include "userspace/targets/mountinfo.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace goretain::targets;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const ProcCgroup pc = ParseProcCgroup(text);
  const CgroupIdentity id = ParseCgroupPath(text);
  for (const CgroupIdentity* i : {&pc.identity, &id}) {
    if (!i->container_id.empty() && !IsContainerIdPrefix(i->container_id)) std::abort();
    if (!i->pod_uid.empty() && NormalizePodUid(i->pod_uid) != i->pod_uid) std::abort();
    if (i->runtime_helper && !i->container_id.empty()) std::abort();
  }
  const std::string pod = PodCgroupPath(text);
  if (!pod.empty() && (pod.size() > text.size() || ParseCgroupPath(pod).pod_uid != id.pod_uid)) {
    std::abort();
  }
  const std::string uid = NormalizePodUid(text);
  if (!uid.empty() && NormalizePodUid(uid) != uid) std::abort();
  (void)IsContainerIdPrefix(text);
  (void)FindCgroup2Mount(text);
  return 0;
}
