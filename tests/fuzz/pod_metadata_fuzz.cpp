// libFuzzer target for the pod metadata readers of userspace/targets/: the input is read as an
// OCI config.json, a runc state.json and a /var/log/pods directory name. Malformed JSON is an
// error, never a crash or an exception.
// Built and run by scripts/fuzz-targets.sh (clang++ -fsanitize=fuzzer,address,undefined).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "userspace/targets/pod_metadata.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace goretain::targets;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto a = ParseOciConfigAnnotations(text)) {
    const PodAnnotations p = ReadPodAnnotations(*a);
    goretain::TargetLabels labels;
    MergeLabels(p, labels);
    if (p.sandbox && !p.container.empty()) std::abort();
  }
  if (auto s = ParseRuncState(text)) {
    if (s->annotations.contains("bundle")) std::abort();
    (void)ReadPodAnnotations(s->annotations);
  }
  if (auto d = ParsePodLogDirName(text)) {
    if (d->namespace_.empty() || d->pod.empty() || d->pod_uid.empty()) std::abort();
  }
  return 0;
}
