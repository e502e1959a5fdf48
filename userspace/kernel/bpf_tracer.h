// BpfTracer: owns the BPF object and everything attached through it.
//
// Lifecycle (one phase per method, each failure a Result):
//   Create()            open the skeleton, configure .rodata and map sizes, load (verifier)
//   AttachExecutable()  the planned probes of an executable file, shared by every process that
//                       runs it (processes are selected in BPF by AddTarget()): one
//                       uprobe_multi link per file where the kernel has it (Linux 6.6+), else
//                       one perf-event uprobe per probe
//   Poll()              drain the ring buffer into the event handler
//   ~BpfTracer()        detach every link, then free the object: nothing is left in the kernel
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "symbols/result.h"
#include "userspace/kernel/goretain_bpf.hpp"
#include "userspace/goruntime/probe_plan.h"

struct goretain_bpf;  // the generated skeleton
struct bpf_link;
struct ring_buffer;

namespace goretain {

struct TracerConfig {
  uint32_t stack_depth = 8;             // frames recorded per event at most (1..GR_MAX_STACK)
  uint32_t extra_frames = 0;            // frames recorded beyond the first non-runtime one
  uint64_t ringbuf_bytes = 32ull << 20; // power of two, multiple of the page size
};

struct TracerCounters {
  uint64_t emitted = 0;
  uint64_t dropped = 0;
  uint64_t morestack_skipped = 0;
  uint64_t read_failed = 0;
  uint64_t completed = 0;    // events that got their object's address
  uint64_t uncompleted = 0;  // events sent without it (completion never came)
};

// Called once per ring buffer record; `size` is the record's byte count (header + stack).
using EventHandler = std::function<void(const gr_event& event, size_t size)>;

class BpfTracer {
 public:
  // Errors: kPermission (no CAP_BPF/CAP_PERFMON), kKernel (verifier or map creation failure).
  static Result<std::unique_ptr<BpfTracer>> Create(const TracerConfig& config, EventHandler handler);
  ~BpfTracer();
  BpfTracer(const BpfTracer&) = delete;
  BpfTracer& operator=(const BpfTracer&) = delete;

  // Attaches every probe in `plan` to the file at `path` (a /proc/PID/exe path works across mount
  // namespaces). Returns the number of probes attached. All-or-nothing: on failure the probes
  // attached by this call are detached again.
  Result<int> AttachExecutable(const std::string& path, const ProbePlan& plan);

  // True when probes are attached with uprobe_multi links (Linux 6.6+): thousands of probes cost
  // one link. Classic uprobes cost a perf event each, and detaching each waits for an RCU grace
  // period, so a plan for classic uprobes should stay small.
  bool multi_links() const { return multi_; }

  // `load_bias`: the process's address minus the link-time address of its executable.
  // `sweepgen_addr`: process address of runtime.mheap_.sweepgen, or 0.
  Status AddTarget(uint32_t pid, uint64_t load_bias, uint64_t sweepgen_addr);
  void RemoveTarget(uint32_t pid);
  // Deletes the events of process `pid` still waiting for their object's address (it exited:
  // their completions will never run), so that the `pending` map does not fill up with dead
  // processes' entries over days of restarts. Returns how many were deleted.
  int DropPending(uint32_t pid);

  // Waits up to timeout_ms (or until the buffer fills up: the BPF side does not wake the reader
  // per event), then hands every pending event to the handler. Returns the count handled.
  Result<int> Poll(int timeout_ms);
  // Handles everything already in the ring buffer without waiting.
  Result<int> Drain();
  // Hands over the events still waiting for their object's address (tracing is ending: their
  // completion may never run), without an address.
  int FlushPending();

  TracerCounters ReadCounters() const;
  size_t attached_probes() const { return attached_probes_; }

 private:
  struct LinkDeleter {
    void operator()(bpf_link* link) const;
  };
  using Link = std::unique_ptr<bpf_link, LinkDeleter>;
  struct SkeletonDeleter {
    void operator()(goretain_bpf* skel) const;
  };
  struct RingBufferDeleter {
    void operator()(ring_buffer* rb) const;
  };

  BpfTracer(const TracerConfig& config, EventHandler handler);
  static int OnRecord(void* ctx, void* data, size_t size);
  // Opens, configures and loads the BPF object (again), for multi-uprobe links or classic ones.
  Status Load(bool multi);
  Status StoreSpecs(const ProbePlan& plan, uint32_t first_spec);
  Result<int> AttachClassic(const std::string& path, const ProbePlan& plan, uint32_t first_spec);

  TracerConfig config_;
  EventHandler handler_;
  bool multi_ = false;  // the program is loaded for uprobe_multi links
  std::unique_ptr<goretain_bpf, SkeletonDeleter> skel_;
  std::unique_ptr<ring_buffer, RingBufferDeleter> ring_;
  std::vector<Link> links_;      // destroyed before skel_ (declared after it)
  std::vector<int> multi_links_;  // uprobe_multi link fds, closed before skel_
  uint32_t next_spec_ = 0;   // next free slot in probe_specs
  size_t attached_probes_ = 0;
};

}  // namespace goretain
