// Asks a netpol-pdp server whether one connection may be opened and prints
// the answer. With no server it prints the fail-closed verdict.
//
//   netpol-client-example [--server HOST:PORT] [SRC DST PORT]
//
// SRC and DST are IPs or namespace/name pod references.

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "netpol/client/pdp_client.h"

namespace {

using netpol::client::Endpoint;

Endpoint ParseEndpoint(const std::string& text) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos) return Endpoint::Ip(text);
  return Endpoint::Pod(text.substr(0, slash), text.substr(slash + 1));
}

constexpr char kUsage[] =
    "usage: netpol-client-example [--server HOST:PORT] [SRC DST PORT]\n"
    "  SRC, DST: an IP or namespace/name (default 10.0.0.1 10.0.0.2 80)\n"
    "  --server: default 127.0.0.1:50051\n";

}  // namespace

int main(int argc, char** argv) {
  std::string server = "127.0.0.1:50051";
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (arg == "--server" && i + 1 < argc) {
      server = argv[++i];
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.empty()) positional = {"10.0.0.1", "10.0.0.2", "80"};
  const int port =
      positional.size() == 3 ? std::atoi(positional[2].c_str()) : 0;
  if (port <= 0 || port > 65535) {
    std::cerr << kUsage;
    return 2;
  }

  netpol::client::PdpClientOptions options;
  options.target = server;
  auto client = netpol::client::PdpClient::Create(options);
  if (!client.ok()) {
    std::cerr << client.status().ToString() << "\n";
    return 2;
  }
  const netpol::client::Decision d = (*client)->CheckOne(
      {ParseEndpoint(positional[0]), ParseEndpoint(positional[1]),
       static_cast<uint16_t>(port)});
  std::cout << netpol::client::VerdictName(d.verdict) << " ("
            << netpol::client::ReasonName(d.reason) << ")";
  if (!d.error.empty()) std::cout << ": " << d.error;
  std::cout << "\n";
  return 0;
}
