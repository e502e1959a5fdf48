// goretain's exit codes (documented in README.md; tests assert them).
#pragma once

#include "symbols/result.h"

namespace goretain {

enum ExitCode : int {
  kExitOk = 0,
  kExitInternal = 1,     // a bug or an unexpected system failure
  kExitBadInput = 2,     // bad usage, no such process, not a Go program, unsupported Go, corrupt ELF
  kExitPermission = 3,   // not root / missing CAP_BPF, CAP_PERFMON or ptrace rights
  kExitKernel = 4,       // the kernel refused a BPF load or a uprobe attach for another reason
  kExitNotTraced = 5,    // attach never completed: SIGINT/SIGTERM, or the target exited, during
                         // it; nothing was traced and no report is written
};

inline int ExitCodeFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound:
    case ErrorCode::kBadInput:
    case ErrorCode::kNotGo:
    case ErrorCode::kUnsupported:
      return kExitBadInput;
    case ErrorCode::kPermission:
      return kExitPermission;
    case ErrorCode::kKernel:
      return kExitKernel;
    case ErrorCode::kIo:
      return kExitInternal;
    case ErrorCode::kAborted:
      return kExitNotTraced;
  }
  return kExitInternal;
}

}  // namespace goretain
