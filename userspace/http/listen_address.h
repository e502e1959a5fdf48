// ListenAddress: the ADDR:PORT of --listen, parsed and checked before anything is attached.
//
// Accepted: IPv4 "127.0.0.1:9464", IPv6 in brackets "[::1]:9464", a host name that resolves
// ("localhost:9464"), or ":9464" for every interface (as Go's and node_exporter's flags; the
// README says to bind loopback unless the port is protected). PORT is 0..65535; 0 lets the kernel
// choose (the bound port is printed).
#pragma once

#include <string>

#include "symbols/result.h"

namespace goretain {

struct ListenAddress {
  std::string host;  // what to bind: an IP literal or a name (no brackets); "0.0.0.0" for ":PORT"
  int port = 0;
};

// One kBadInput error naming the text for anything else ("foo", "1.2.3.4:99999", "nohost:80").
Result<ListenAddress> ParseListenAddress(const std::string& text);

// "127.0.0.1:9464", "[::1]:9464": the address as a URL's authority.
std::string UrlAuthority(const std::string& host, int port);

}  // namespace goretain
