// goretain's version: --version prints it, /metrics' goretain_build_info carries it.
#pragma once

namespace goretain {

inline constexpr const char* kGoretainVersion = "0.1.0";

}  // namespace goretain
