#include "userspace/http/listen_address.h"

#include <netdb.h>
#include <sys/socket.h>

#include <charconv>

namespace goretain {
namespace {

Error Bad(const std::string& text, const std::string& why) {
  return Error{ErrorCode::kBadInput,
               "--listen " + text + ": " + why + " (hint: give ADDR:PORT, e.g. 127.0.0.1:9464)"};
}

// True if getaddrinfo knows the host as a local address to bind (an IP literal or a name).
bool Resolves(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return false;
  freeaddrinfo(found);
  return true;
}

}  // namespace

Result<ListenAddress> ParseListenAddress(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) return Bad(text, "no port");
  std::string host = text.substr(0, colon);
  const std::string port_text = text.substr(colon + 1);
  int port = -1;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port < 0 || port > 65535) {
    return Bad(text, "the port must be a number from 0 to 65535");
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return Bad(text, "an IPv6 address goes in brackets, as [::1]:PORT");
  }
  if (host.empty()) host = "0.0.0.0";
  if (!Resolves(host)) return Bad(text, "not an address or a known host name");
  return ListenAddress{host, port};
}

std::string UrlAuthority(const std::string& host, int port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace goretain
