// Identities for integration tests: the same mechanism as production, real TLS and real signed
// tokens, no bypass.
//
// TestPki: a development PKI (tools/devpki) in a temporary directory, removed at the end; it
// configures a server (Configure) and mints tokens for any subject, unit, roles and channels.
//
// ActingAsRequested: a client interceptor for the tests written before authentication, whose
// requests name their actor (TicketWrite.actor). Every call it sees is signed for the actor the
// request names ("operator" when it names none), with every role but pii, every channel, and
// the unit the call needs: for the actions of a handler on its own unit's ticket (sign for,
// contact, resolve, return, extensions, an assisting share's result) the ticket's lead unit as
// stored (or the share's unit), for everything else the city. A call that already carries an
// authorization header is left alone. Tests of access itself (access_matrix_test.cc) use
// explicit tokens for real roles instead.
#ifndef DISPATCH_TESTS_TESTING_SIGNED_CALLS_H_
#define DISPATCH_TESTS_TESTING_SIGNED_CALLS_H_

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/client_interceptor.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/principal.h"
#include "common/config.h"
#include "common/keys.h"
#include "common/redis/redis_client.h"
#include "dispatch/v1/routing.pb.h"
#include "dispatch/v1/types.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "tools/devpki/dev_pki.h"

namespace dispatch::testing {

inline const std::vector<std::string>& AllChannelNames() {
  static const auto* const names = [] {
    auto* out = new std::vector<std::string>;
    for (int i = 1; i < v1::Channel_descriptor()->value_count(); ++i) {
      out->push_back(v1::Channel_descriptor()->value(i)->name());
    }
    return out;
  }();
  return *names;
}

// An admitted caller for tests that call a service's library directly: `subject` of `unit`
// with `roles`, calling `method` ("IntakeService.ListTickets").
inline auth::Caller CallerOf(const std::string& method, const std::string& subject,
                             const std::string& unit, std::set<auth::Role> roles) {
  auth::Caller c;
  c.method = method;
  c.principal.subject = subject;
  c.principal.unit_code = unit;
  c.principal.roles = std::move(roles);
  c.principal.authenticated_by = "token";
  return c;
}

class TestPki {
 public:
  TestPki() {
    char dir[] = "/tmp/dispatch-pki-XXXXXX";
    dir_ = mkdtemp(dir);
    absl::Status s = devpki::Ensure(dir_);
    if (!s.ok()) fprintf(stderr, "TestPki: %s\n", s.ToString().c_str());
  }
  ~TestPki() { std::filesystem::remove_all(dir_); }
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  const std::string& dir() const { return dir_; }
  void Configure(DispatchConfig* config) const { devpki::Configure(dir_, config); }

  // A token valid for an hour (tokens are judged by the real time).
  std::string Token(const std::string& subject, const std::string& unit,
                    const std::vector<std::string>& roles,
                    const std::vector<std::string>& channels = {}) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto key = std::make_tuple(subject, unit, roles, channels);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    auto token = devpki::MintToken(dir_, subject, unit, roles, channels, absl::Now(),
                                   absl::Hours(1));
    std::string t = token.ok() ? *token : "";
    cache_[key] = t;
    return t;
  }

  // TLS credentials trusting the test CA.
  std::shared_ptr<grpc::ChannelCredentials> Credentials() const {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = *ReadFile(dir_ + "/ca.pem");
    return grpc::SslCredentials(options);
  }
  // TLS credentials with the client certificate `name` (IssueClient) as well.
  std::shared_ptr<grpc::ChannelCredentials> CredentialsWithCertificate(
      const std::string& name) const {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = *ReadFile(dir_ + "/ca.pem");
    options.pem_cert_chain = *ReadFile(absl::StrCat(dir_, "/", name, ".pem"));
    options.pem_private_key = *ReadFile(absl::StrCat(dir_, "/", name, ".key"));
    return grpc::SslCredentials(options);
  }

 private:
  std::string dir_;
  mutable std::mutex mu_;
  mutable std::map<std::tuple<std::string, std::string, std::vector<std::string>,
                              std::vector<std::string>>,
                   std::string>
      cache_;
};

class ActingAsRequested : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  // All must outlive the channels made with this factory.
  ActingAsRequested(const TestPki* pki, redis::Client* redis, std::string city)
      : pki_(pki), redis_(redis), city_(std::move(city)) {}

  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* info) override {
    return new Signer(this, info->method());
  }

 private:
  class Signer : public grpc::experimental::Interceptor {
   public:
    Signer(ActingAsRequested* parent, std::string method)
        : parent_(parent), method_(std::move(method)) {}
    void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
      using grpc::experimental::InterceptionHookPoints;
      if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
        auto* metadata = methods->GetSendInitialMetadata();
        if (metadata->find("authorization") == metadata->end()) {
          // The request as sent (a generic call's bytes too), read as the method's type.
          std::unique_ptr<google::protobuf::Message> request;
          if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE)) {
            request = ParseRequest(method_, methods->GetSerializedSendMessage());
          }
          metadata->emplace("authorization",
                            absl::StrCat("Bearer ", parent_->TokenFor(method_, request.get())));
        }
      }
      methods->Proceed();
    }

   private:
    // "/dispatch.v1.RoutingService/AssignTicket" and its bytes -> the request (null if unknown).
    static std::unique_ptr<google::protobuf::Message> ParseRequest(const std::string& method,
                                                                   grpc::ByteBuffer* bytes) {
      if (bytes == nullptr || method.size() < 2) return nullptr;
      std::string name = method.substr(1);
      std::replace(name.begin(), name.end(), '/', '.');
      const auto* m = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(name);
      if (m == nullptr) return nullptr;
      std::unique_ptr<google::protobuf::Message> request(
          google::protobuf::MessageFactory::generated_factory()->GetPrototype(m->input_type())->New());
      std::vector<grpc::Slice> slices;
      if (!bytes->Dump(&slices).ok()) return nullptr;
      std::string data;
      for (const grpc::Slice& s : slices) data.append(reinterpret_cast<const char*>(s.begin()), s.size());
      if (!request->ParseFromString(data)) return nullptr;
      return request;
    }

    ActingAsRequested* const parent_;
    const std::string method_;
  };

  std::string TokenFor(const std::string& method, const google::protobuf::Message* message) {
    std::string subject = "operator";
    std::string unit = city_;
    if (message != nullptr) {
      const auto* d = message->GetDescriptor();
      const auto* write_field = d->FindFieldByName("write");
      if (write_field != nullptr &&
          write_field->message_type() == v1::TicketWrite::descriptor()) {
        const auto& w = static_cast<const v1::TicketWrite&>(
            message->GetReflection()->GetMessage(*message, write_field));
        if (!w.actor().id().empty()) subject = w.actor().id();
        if (OwnUnitAction(method)) unit = LeadUnit(w.ticket_id());
        const auto* share_field = d->FindFieldByName("share");
        if (share_field != nullptr && message->GetReflection()->HasField(*message, share_field)) {
          const auto& share = static_cast<const v1::ShareRef&>(
              message->GetReflection()->GetMessage(*message, share_field));
          if (!share.unit_code().empty() && OwnUnitAction(method)) unit = share.unit_code();
        }
      }
    }
    return pki_->Token(subject, unit,
                       {"gateway", "handler", "dispatcher", "supervisor", "admin"},
                       AllChannelNames());
  }

  static bool OwnUnitAction(const std::string& method) {
    for (const char* m : {"/SignForTicket", "/RecordAssistResult", "/ReturnTicket",
                          "/RecordContact", "/ResolveTicket", "/RequestExtension"}) {
      if (absl::EndsWith(method, m)) return true;
    }
    return false;
  }

  // The ticket's lead unit as stored ("" when it has none or cannot be read).
  std::string LeadUnit(const std::string& ticket_id) {
    std::optional<int> shard = keys::ShardOfTicketId(ticket_id);
    if (!shard) return "";
    auto r = redis_->ExecuteSync({"HGET", keys::Ticket(*shard, ticket_id), "unit"});
    return r.ok() && !r->is_nil() ? r->str : "";
  }

  const TestPki* const pki_;
  redis::Client* const redis_;
  const std::string city_;
};

// A TLS channel to 127.0.0.1:`port` (a server configured with `pki`) whose calls `signer`
// signs; `signer` must outlive the channel.
inline std::shared_ptr<grpc::Channel> SignedChannel(int port, const TestPki& pki,
                                                    ActingAsRequested* signer,
                                                    grpc::ChannelArguments args = {}) {
  // Hands the shared signer to the channel (a channel owns its factories).
  class Forward : public grpc::experimental::ClientInterceptorFactoryInterface {
   public:
    explicit Forward(ActingAsRequested* to) : to_(to) {}
    grpc::experimental::Interceptor* CreateClientInterceptor(
        grpc::experimental::ClientRpcInfo* info) override {
      return to_->CreateClientInterceptor(info);
    }

   private:
    ActingAsRequested* const to_;
  };
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> chain;
  chain.push_back(std::make_unique<Forward>(signer));
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      absl::StrCat("127.0.0.1:", port), pki.Credentials(), args, std::move(chain));
}

}  // namespace dispatch::testing

#endif  // DISPATCH_TESTS_TESTING_SIGNED_CALLS_H_
