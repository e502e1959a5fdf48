// Pure readers of the files that name a container's pod without an API server: an OCI bundle's
// config.json (its annotations, written by the CRI runtime), runc's state.json (the bundle path
// and the annotations as "k=v" labels) and the /var/log/pods/<namespace>_<pod>_<uid> directory
// names. File access is in labels.cpp; these take the files' text.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "symbols/result.h"
#include "userspace/model/report.h"

namespace goretain::targets {

using Annotations = std::map<std::string, std::string>;

// Kubernetes facts from a runtime's annotations: containerd's CRI plugin
// (io.kubernetes.cri.sandbox-name, -namespace, -uid, container-name, container-type) or CRI-O
// and dockershim (io.kubernetes.pod.name, .namespace, .uid, io.kubernetes.container.name,
// io.kubernetes.cri-o.ContainerType). `sandbox` marks a pod's pause (infra) container.
struct PodAnnotations {
  std::string pod, namespace_, pod_uid, container;
  std::string runtime;  // "containerd" or "cri-o" when the keys say which; else empty
  bool sandbox = false;
};
PodAnnotations ReadPodAnnotations(const Annotations& annotations);

// config.json's "annotations" object (kBadInput if the text is not a JSON object; no annotations
// is an empty map).
Result<Annotations> ParseOciConfigAnnotations(std::string_view config_json);

// runc's <root>/<id>/state.json: the container's cgroup path (config.cgroups.path), its init
// PID, its bundle directory and the annotations (config.labels "k=v", "bundle=..." excluded).
struct RuncState {
  std::string id;
  std::string cgroups_path;
  int init_pid = 0;
  std::string bundle;
  Annotations annotations;
};
Result<RuncState> ParseRuncState(std::string_view state_json);

// "<namespace>_<pod>_<uid>" (namespaces and pod names cannot hold '_'); nullopt otherwise.
struct PodLogDir {
  std::string namespace_, pod, pod_uid;  // pod_uid as NormalizePodUid gives it
};
std::optional<PodLogDir> ParsePodLogDirName(std::string_view name);

// Fills the empty fields of `labels` from `a` (the first source to name a field wins).
void MergeLabels(const PodAnnotations& a, TargetLabels& labels);

}  // namespace goretain::targets
