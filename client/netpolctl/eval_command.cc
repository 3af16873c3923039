// netpolctl eval: decides connections read as JSON Lines.

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "client/netpolctl/command.h"
#include "client/netpolctl/decision_source.h"
#include "client/netpolctl/decision_source_flags.h"
#include "client/netpolctl/line_reader.h"
#include "client/netpolctl/output_format.h"
#include "client/netpolctl/query_parser.h"
#include "client/netpolctl/remote_flags.h"
#include "client/netpolctl/snapshot_loader.h"

namespace netpol::netpolctl {
namespace {

constexpr FlagSpec kFlags[] = {
    kManifestsFlag,
    {"queries", true, false},
    {"explain", false, false},
    kNoIpBlockPodsFlag,
    kServerFlag,
    kTimeoutFlag,
};

constexpr char kUsage[] =
    R"(Usage: netpolctl eval --manifests PATH [--manifests PATH ...]
                     [--queries FILE|-] [--explain] [--no-ipblock-pods]
       netpolctl eval --server ADDR [--timeout D] [--queries FILE|-]
                     [--explain]

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
  --server ADDR      ask the netpol-pdp data plane at ADDR (host:port)
                     instead of evaluating --manifests locally: queries go
                     in batches of 1000 per CheckConnection RPC; lines that
                     do not parse are answered locally; the output is the
                     same
  --timeout D        deadline of each RPC, e.g. 500ms or 10s (default 10s)

Exit status: 0 every line was answered; 1 some lines were invalid (the
others are still answered); 2 usage, I/O or manifest error (manifest errors
are printed to stderr and nothing is evaluated), or the server could not be
reached or failed (lines answered before stay printed).
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

// Lines read but not yet answered: each is a connection to decide or the
// error of a line that did not parse.
class PendingLines {
 public:
  // Lines are answered once `batch_size` of them are pending.
  explicit PendingLines(size_t batch_size) : batch_size_(batch_size) {}

  void AddConnection(const Connection& connection) {
    connections_.push_back(connection);
    errors_.emplace_back();
  }
  void AddError(std::string error_line) {
    errors_.push_back(std::move(error_line));
  }
  bool full() const { return errors_.size() >= batch_size_; }

  // Decides the pending connections and writes every pending line, in
  // order. Returns whether every line was valid.
  absl::StatusOr<bool> Resolve(DecisionSource& source, bool explain,
                               int64_t first_line, OutputBuffer& output) {
    if (!connections_.empty()) {
      absl::Status status = source.Decide(connections_, explain, &answers_);
      if (!status.ok()) return status;
    }
    bool all_valid = true;
    size_t next_answer = 0;
    for (size_t i = 0; i < errors_.size(); ++i) {
      if (!errors_[i].empty()) {
        all_valid = false;
        output.Line(errors_[i]);
        continue;
      }
      const Answer& answer = answers_[next_answer++];
      if (!answer.status.ok()) {
        all_valid = false;
        output.Line(ErrorLineJson(first_line + static_cast<int64_t>(i),
                                  answer.status.message()));
      } else if (explain) {
        output.Line(DumpJson(ExplainedDecisionToJson(answer.explanation)));
      } else {
        output.Line(decisions_.Get(answer.explanation.decision));
      }
    }
    connections_.clear();
    errors_.clear();
    return all_valid;
  }
  size_t size() const { return errors_.size(); }

 private:
  const size_t batch_size_;
  std::vector<Connection> connections_;
  // One per line; empty for a line whose connection is in connections_.
  std::vector<std::string> errors_;
  std::vector<Answer> answers_;
  DecisionJsonCache decisions_;
};

// Answers every line of `in` on `out`. Returns whether every line was
// valid, or the error that stopped it.
absl::StatusOr<bool> EvalLines(DecisionSource& source, std::FILE* in,
                               std::FILE* out, bool explain) {
  LineReader reader(in);
  // Someone typing queries wants each answer at once; otherwise one RPC per
  // 1000 lines keeps the server's batch limit far away.
  const bool interactive = isatty(fileno(in)) != 0;
  OutputBuffer output(out, interactive);
  PendingLines pending(interactive ? 1 : 1000);
  QueryParser parser;
  Connection connection;
  bool all_valid = true;
  int64_t line_number = 0;
  absl::string_view line;
  auto answer_pending = [&]() -> absl::Status {
    const int64_t first_line =
        line_number + 1 - static_cast<int64_t>(pending.size());
    absl::StatusOr<bool> valid =
        pending.Resolve(source, explain, first_line, output);
    if (!valid.ok()) return valid.status();
    all_valid = all_valid && *valid;
    return absl::OkStatus();
  };
  while (!output.failed() && reader.Next(&line)) {
    ++line_number;
    if (absl::Status status = parser.Parse(line, &connection); status.ok()) {
      pending.AddConnection(connection);
    } else {
      pending.AddError(ErrorLineJson(line_number, status.message()));
    }
    if (pending.full()) {
      if (absl::Status status = answer_pending(); !status.ok()) {
        output.Flush();
        return status;
      }
    }
  }
  if (absl::Status status = answer_pending(); !status.ok()) {
    output.Flush();
    return status;
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
  std::unique_ptr<DecisionSource> source =
      DecisionSourceFromFlags(args, "eval");
  if (source == nullptr) return kExitUsage;

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
      EvalLines(*source, in, stdout, args.Has("explain"));
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
