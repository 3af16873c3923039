#include "server/reflection_service.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.pb.h"

namespace netpol::server {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;

void SetError(grpc::StatusCode code, std::string message,
              reflection::ServerReflectionResponse* response) {
  reflection::ErrorResponse* error = response->mutable_error_response();
  error->set_error_code(static_cast<int32_t>(code));
  error->set_error_message(std::move(message));
}

// `name` in quotes, cut to 256 bytes: the data listener takes requests of
// up to --max-receive-bytes, and an error need not echo all of one.
std::string Quoted(absl::string_view name) {
  constexpr size_t kMaxQuoted = 256;
  if (name.size() <= kMaxQuoted) return absl::StrCat("\"", name, "\"");
  return absl::StrCat("\"", name.substr(0, kMaxQuoted), "...\"");
}

void AppendFile(const FileDescriptor& file,
                reflection::FileDescriptorResponse* files) {
  google::protobuf::FileDescriptorProto proto;
  file.CopyTo(&proto);
  proto.SerializeToString(files->add_file_descriptor_proto());
}

// `file` itself always (a client may ask twice), then the dependencies,
// depth first, that this stream has not carried.
void AnswerFile(const FileDescriptor& file,
                absl::flat_hash_set<std::string>* sent,
                reflection::ServerReflectionResponse* response) {
  reflection::FileDescriptorResponse* files =
      response->mutable_file_descriptor_response();
  AppendFile(file, files);
  sent->insert(file.name());
  std::vector<const FileDescriptor*> pending;
  for (int i = 0; i < file.dependency_count(); ++i) {
    pending.push_back(file.dependency(i));
  }
  while (!pending.empty()) {
    const FileDescriptor* next = pending.back();
    pending.pop_back();
    if (!sent->insert(next->name()).second) continue;
    AppendFile(*next, files);
    for (int i = 0; i < next->dependency_count(); ++i) {
      pending.push_back(next->dependency(i));
    }
  }
}

}  // namespace

void AnswerReflectionRequest(const DescriptorPool& pool,
                             const std::vector<std::string>& services,
                             const reflection::ServerReflectionRequest& request,
                             absl::flat_hash_set<std::string>* sent,
                             reflection::ServerReflectionResponse* response) {
  response->set_valid_host(request.host());
  *response->mutable_original_request() = request;
  using Request = reflection::ServerReflectionRequest;
  switch (request.message_request_case()) {
    case Request::kFileByFilename: {
      const FileDescriptor* file =
          pool.FindFileByName(request.file_by_filename());
      if (file == nullptr) {
        SetError(
            grpc::StatusCode::NOT_FOUND,
            absl::StrCat("no file named ", Quoted(request.file_by_filename())),
            response);
        return;
      }
      AnswerFile(*file, sent, response);
      return;
    }
    case Request::kFileContainingSymbol: {
      const FileDescriptor* file =
          pool.FindFileContainingSymbol(request.file_containing_symbol());
      if (file == nullptr) {
        SetError(grpc::StatusCode::NOT_FOUND,
                 absl::StrCat("no symbol named ",
                              Quoted(request.file_containing_symbol())),
                 response);
        return;
      }
      AnswerFile(*file, sent, response);
      return;
    }
    case Request::kFileContainingExtension: {
      const reflection::ExtensionRequest& wanted =
          request.file_containing_extension();
      const Descriptor* type =
          pool.FindMessageTypeByName(wanted.containing_type());
      const FieldDescriptor* extension =
          type == nullptr
              ? nullptr
              : pool.FindExtensionByNumber(type, wanted.extension_number());
      if (extension == nullptr) {
        SetError(
            grpc::StatusCode::NOT_FOUND,
            absl::StrCat("no extension ", wanted.extension_number(),
                         " of message type ", Quoted(wanted.containing_type())),
            response);
        return;
      }
      AnswerFile(*extension->file(), sent, response);
      return;
    }
    case Request::kAllExtensionNumbersOfType: {
      const Descriptor* type =
          pool.FindMessageTypeByName(request.all_extension_numbers_of_type());
      if (type == nullptr) {
        SetError(grpc::StatusCode::NOT_FOUND,
                 absl::StrCat("no message type named ",
                              Quoted(request.all_extension_numbers_of_type())),
                 response);
        return;
      }
      std::vector<const FieldDescriptor*> extensions;
      pool.FindAllExtensions(type, &extensions);
      reflection::ExtensionNumberResponse* numbers =
          response->mutable_all_extension_numbers_response();
      numbers->set_base_type_name(type->full_name());
      for (const FieldDescriptor* extension : extensions) {
        numbers->add_extension_number(extension->number());
      }
      return;
    }
    case Request::kListServices: {
      reflection::ListServiceResponse* list =
          response->mutable_list_services_response();
      for (const std::string& name : services) {
        list->add_service()->set_name(name);
      }
      return;
    }
    case Request::MESSAGE_REQUEST_NOT_SET:
      break;
  }
  SetError(grpc::StatusCode::INVALID_ARGUMENT,
           "the request sets none of file_by_filename, "
           "file_containing_symbol, file_containing_extension, "
           "all_extension_numbers_of_type, list_services",
           response);
}

class ReflectionService::Session final
    : public grpc::ServerBidiReactor<reflection::ServerReflectionRequest,
                                     reflection::ServerReflectionResponse> {
 public:
  explicit Session(const ReflectionService& service) : service_(service) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // half-closed by the client, or cancelled
      Finish(grpc::Status::OK);
      return;
    }
    response_.Clear();
    AnswerReflectionRequest(*service_.pool_, service_.services_, request_,
                            &sent_, &response_);
    StartWrite(&response_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED,
                          "the response could not be written"));
      return;
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  const ReflectionService& service_;
  reflection::ServerReflectionRequest request_;
  reflection::ServerReflectionResponse response_;
  absl::flat_hash_set<std::string> sent_;
};

ReflectionService::ReflectionService(std::vector<std::string> services,
                                     const DescriptorPool* pool)
    : services_(std::move(services)), pool_(pool) {}

grpc::ServerBidiReactor<reflection::ServerReflectionRequest,
                        reflection::ServerReflectionResponse>*
ReflectionService::ServerReflectionInfo(
    grpc::CallbackServerContext* /*context*/) {
  return new Session(*this);
}

}  // namespace netpol::server
