// netpolctl eval: decides connections read as JSON Lines.

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "client/netpolctl/command.h"
#include "client/netpolctl/line_reader.h"
#include "client/netpolctl/output_format.h"
#include "client/netpolctl/query_parser.h"
#include "client/netpolctl/snapshot_loader.h"
#include "core/compiled_snapshot.h"

namespace netpol::netpolctl {
namespace {

constexpr FlagSpec kFlags[] = {
    kManifestsFlag,
    {"queries", true, false},
    {"explain", false, false},
    kNoIpBlockPodsFlag,
};

constexpr char kUsage[] =
    R"(Usage: netpolctl eval --manifests PATH [--manifests PATH ...]
                     [--queries FILE|-] [--explain] [--no-ipblock-pods]

Decides connections read as JSON Lines, one query per line:
  {"src": "x/a", "dst": "192.0.2.1", "port": 80, "protocol": "TCP"}
src and dst are a pod ("namespace/name") or an IP address; protocol is
optional (TCP by default; TCP, UDP or SCTP in any case); other keys are
ignored.

Writes exactly one line per input line, in input order:
  {"allowed":true,"reason":"ALLOWED_BY_POLICY"}
or, for a line that cannot be evaluated (an empty line included):
  {"error":"line N: <message>"}
Reasons: LOOPBACK, NOT_ISOLATED, ALLOWED_BY_POLICY, DENIED_EGRESS,
DENIED_INGRESS.

Flags:
  --manifests PATH   manifest file, or directory read recursively (.yaml,
                     .yml, .json); repeatable
  --queries FILE     read queries from FILE instead of stdin ('-': stdin)
  --explain          add "explanation": the selecting policies and allowing
                     rules of both directions, and a text account
  --no-ipblock-pods  ipBlock peers match only addresses outside the cluster,
                     not pod IPs

Exit status: 0 every line was answered; 1 some lines were invalid (the
others are still answered); 2 usage, I/O or manifest error (manifest errors
are printed to stderr and nothing is evaluated).
)";

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

// Collects output lines and writes them in large chunks: eval may answer
// millions of lines, and a write per line would dominate.
class OutputBuffer {
 public:
  OutputBuffer(std::FILE* file, bool flush_each_line)
      : file_(file), flush_each_line_(flush_each_line) {
    buffer_.reserve(kChunk + 4096);
  }

  void Line(absl::string_view text) {
    buffer_.append(text.data(), text.size());
    buffer_.push_back('\n');
    if (flush_each_line_ || buffer_.size() >= kChunk) Flush();
  }

  // False once any write has failed.
  bool Flush() {
    if (!buffer_.empty() && !failed_) {
      failed_ = std::fwrite(buffer_.data(), 1, buffer_.size(), file_) !=
                    buffer_.size() ||
                std::fflush(file_) != 0;
    }
    buffer_.clear();
    return !failed_;
  }
  bool failed() const { return failed_; }

 private:
  static constexpr size_t kChunk = 64 * 1024;
  std::FILE* file_;
  bool flush_each_line_;
  bool failed_ = false;
  std::string buffer_;
};

// Answers every line of `in` on `out`. Returns whether every line was
// valid, or the I/O error that stopped it.
absl::StatusOr<bool> EvalLines(const CompiledSnapshot& snapshot, std::FILE* in,
                               std::FILE* out, bool explain) {
  LineReader reader(in);
  // Someone typing queries wants each answer at once.
  OutputBuffer output(out, isatty(fileno(in)) != 0);
  QueryParser parser;
  DecisionJsonCache decisions;
  Connection connection;
  bool all_valid = true;
  int64_t line_number = 0;
  absl::string_view line;
  while (!output.failed() && reader.Next(&line)) {
    ++line_number;
    absl::Status status = parser.Parse(line, &connection);
    if (status.ok() && explain) {
      absl::StatusOr<Explanation> explanation = snapshot.Explain(connection);
      if (explanation.ok()) {
        output.Line(DumpJson(ExplainedDecisionToJson(*explanation)));
      } else {
        status = explanation.status();
      }
    } else if (status.ok()) {
      absl::StatusOr<Decision> decision = snapshot.Decide(connection);
      if (decision.ok()) {
        output.Line(decisions.Get(*decision));
      } else {
        status = decision.status();
      }
    }
    if (!status.ok()) {
      all_valid = false;
      output.Line(ErrorLineJson(line_number, status.message()));
    }
  }
  if (reader.failed()) {
    return absl::DataLossError(
        absl::StrCat("reading queries failed: ", std::strerror(errno)));
  }
  if (!output.Flush()) {
    return absl::DataLossError(
        absl::StrCat("writing output failed: ", std::strerror(errno)));
  }
  return all_valid;
}

int Run(const ParsedArgs& args) {
  std::unique_ptr<const CompiledSnapshot> snapshot =
      LoadSnapshotFromFlags(args, "eval");
  if (snapshot == nullptr) return kExitUsage;

  std::FILE* in = stdin;
  std::unique_ptr<std::FILE, FileCloser> queries_file;
  std::string queries(args.Value("queries").value_or("-"));
  if (queries != "-") {
    queries_file.reset(std::fopen(queries.c_str(), "r"));
    if (queries_file == nullptr) {
      PrintError("eval", absl::StrCat("cannot open ", queries, ": ",
                                      std::strerror(errno)));
      return kExitUsage;
    }
    in = queries_file.get();
  }
  absl::StatusOr<bool> all_valid =
      EvalLines(*snapshot, in, stdout, args.Has("explain"));
  if (!all_valid.ok()) {
    PrintError("eval", all_valid.status().message());
    return kExitUsage;
  }
  return *all_valid ? kExitOk : kExitInvalidInput;
}

}  // namespace

const Command& EvalCommand() {
  static const Command command = {
      "eval", "decide connections read as JSON Lines", kUsage, kFlags, &Run};
  return command;
}

}  // namespace netpol::netpolctl
