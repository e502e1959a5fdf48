#include "userspace/targets/pod_metadata.h"

#include <nlohmann/json.hpp>

#include "userspace/targets/cgroup_path.h"

namespace goretain::targets {
namespace {

using Json = nlohmann::json;

std::string Get(const Annotations& a, const char* key) {
  auto it = a.find(key);
  return it == a.end() ? std::string() : it->second;
}

void FillIfEmpty(std::string& field, const std::string& value) {
  if (field.empty()) field = value;
}

// A JSON object of string values as a map (non-string values are skipped).
Annotations StringMap(const Json& obj) {
  Annotations out;
  if (!obj.is_object()) return out;
  for (const auto& [k, v] : obj.items()) {
    if (v.is_string()) out.emplace(k, v.get<std::string>());
  }
  return out;
}

Result<Json> ParseObject(std::string_view text, const char* what) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return Error{ErrorCode::kBadInput, std::string(what) + " is not a JSON object"};
  }
  return j;
}

}  // namespace

PodAnnotations ReadPodAnnotations(const Annotations& a) {
  PodAnnotations p;
  // containerd's CRI plugin
  p.pod = Get(a, "io.kubernetes.cri.sandbox-name");
  p.namespace_ = Get(a, "io.kubernetes.cri.sandbox-namespace");
  p.pod_uid = Get(a, "io.kubernetes.cri.sandbox-uid");
  p.container = Get(a, "io.kubernetes.cri.container-name");
  const std::string cri_type = Get(a, "io.kubernetes.cri.container-type");
  if (!p.pod.empty() || !cri_type.empty()) p.runtime = "containerd";
  // CRI-O (and dockershim's labels, which use the same keys)
  const std::string crio_pod = Get(a, "io.kubernetes.pod.name");
  if (p.runtime.empty() && !Get(a, "io.kubernetes.cri-o.ContainerType").empty() &&
      Get(a, "io.container.manager") != "libpod") {
    p.runtime = "cri-o";
  }
  FillIfEmpty(p.pod, crio_pod);
  FillIfEmpty(p.namespace_, Get(a, "io.kubernetes.pod.namespace"));
  FillIfEmpty(p.pod_uid, Get(a, "io.kubernetes.pod.uid"));
  FillIfEmpty(p.container, Get(a, "io.kubernetes.container.name"));
  const std::string crio_type = Get(a, "io.kubernetes.cri-o.ContainerType");
  p.sandbox = cri_type == "sandbox" || crio_type == "sandbox" || p.container == "POD";
  if (p.sandbox) p.container.clear();
  if (std::string uid = NormalizePodUid(p.pod_uid); !uid.empty()) p.pod_uid = uid;
  return p;
}

Result<Annotations> ParseOciConfigAnnotations(std::string_view config_json) {
  auto j = ParseObject(config_json, "config.json");
  if (!j) return j.error();
  auto it = j->find("annotations");
  return it == j->end() ? Annotations{} : StringMap(*it);
}

Result<RuncState> ParseRuncState(std::string_view state_json) {
  auto j = ParseObject(state_json, "state.json");
  if (!j) return j.error();
  RuncState s;
  if (auto id = j->find("id"); id != j->end() && id->is_string()) s.id = id->get<std::string>();
  if (auto pid = j->find("init_process_pid"); pid != j->end() && pid->is_number_integer()) {
    s.init_pid = pid->get<int>();
  }
  auto config = j->find("config");
  if (config == j->end() || !config->is_object()) return s;
  if (auto cg = config->find("cgroups"); cg != config->end() && cg->is_object()) {
    if (auto path = cg->find("path"); path != cg->end() && path->is_string()) {
      s.cgroups_path = path->get<std::string>();
    }
  }
  auto labels = config->find("labels");
  if (labels == config->end() || !labels->is_array()) return s;
  for (const Json& l : *labels) {
    if (!l.is_string()) continue;
    const std::string kv = l.get<std::string>();
    const size_t eq = kv.find('=');
    if (eq == std::string::npos) continue;
    if (kv.compare(0, eq, "bundle") == 0) {
      s.bundle = kv.substr(eq + 1);
    } else {
      s.annotations.emplace(kv.substr(0, eq), kv.substr(eq + 1));
    }
  }
  return s;
}

std::optional<PodLogDir> ParsePodLogDirName(std::string_view name) {
  const size_t a = name.find('_');
  if (a == std::string_view::npos || a == 0) return std::nullopt;
  const size_t b = name.find('_', a + 1);
  if (b == std::string_view::npos || b == a + 1) return std::nullopt;
  std::string uid = NormalizePodUid(name.substr(b + 1));
  if (uid.empty()) return std::nullopt;
  return PodLogDir{std::string(name.substr(0, a)), std::string(name.substr(a + 1, b - a - 1)), uid};
}

void MergeLabels(const PodAnnotations& a, TargetLabels& labels) {
  FillIfEmpty(labels.pod, a.pod);
  FillIfEmpty(labels.namespace_, a.namespace_);
  FillIfEmpty(labels.pod_uid, a.pod_uid);
  FillIfEmpty(labels.container, a.container);
  FillIfEmpty(labels.runtime, a.runtime);
}

}  // namespace goretain::targets
