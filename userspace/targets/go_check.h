// A quick "is this executable Go?" for selectors that find every process of a container, pod or
// host (--all): the ELF's section names only, no pclntab parse. Go's linker always writes
// .note.go.buildid and .go.buildinfo (internal and external linking, stripped or not); the full
// check is the session's GoBinary::Open.
#pragma once

#include <string>

namespace goretain::targets {

bool LooksLikeGo(const std::string& path);

}  // namespace goretain::targets
