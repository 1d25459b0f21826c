// Open311: a GeoReport v2 subset for civic integrators (issue #17 item 4, design §5.7), under
// /open311/v2/ on the HTTP listener, JSON only (the `.json` suffix; `.xml` is 404).
//
//   GET  /open311/v2/services.json        the service list: one per dispatch.v1.Category but
//                                          UNSPECIFIED (service_code = the value name, a Chinese
//                                          service_name, group = the lead department of the
//                                          built-in department matrix, metadata false, type
//                                          "realtime")
//   POST /open311/v2/requests.json        IntakeService.SubmitComplaint
//   GET  /open311/v2/requests/{id}.json   IntakeService.GetTicket
//   GET  /open311/v2/requests.json?service_request_id=a,b,c
//                                          GetTicket for each (at most 50); an unknown id, or
//                                          one outside the caller's reach, is left out
//
// The same door as every other call. Each route calls IntakeService only through the
// MethodTable's invoke (the Gate, the access policy, the size limit, the handler), with the
// request's Authorization: Bearer header (or the client certificate the TLS listener
// verified). Authentication is required on every route, services.json included (secure by
// default), and comes before anything else of the request is judged: services.json and the
// list are admitted as IntakeService.GetTicket (whoever may read a ticket may list the
// services; each id of the list then passes the Gate again in its own GetTicket), a
// submission as IntakeService.SubmitComplaint (to learn the caller's channel). Those
// admissions go through the method's own Gate (MethodTable::Entry::method.gate) and count a
// refusal in dispatch_auth_failures_total{transport="http"}, as invoke does. The spec's
// `api_key` parameter is refused first (400 naming it): credentials in URLs leak into logs
// and proxies.
//
// Submitting (form-encoded as the spec says, or a JSON object with the same names):
//   service_code -> complaint.category; description -> complaint.description; address_string
//   -> complaint.location.address (required: lat/long and address_id cannot be placed in the
//   jurisdiction tree, so they are ignored, and alone they are refused; jurisdiction_id is
//   ignored: one endpoint serves one jurisdiction, as the spec allows); last_name + first_name
//   -> complainant.name (family name first without a space when either is not ASCII, else
//   "first last"); phone -> complainant.phone (required: the result must be fed back).
//   email, device_id, account_id, media_url and attribute[...] are not stored.
//   The channel: an Open311 request names none, so the caller must be a gateway whose
//   credentials list exactly one channel (a token's "channels" claim, a certificate's
//   auth.clients entry), and that channel is used; a gateway with several is refused with
//   PERMISSION_DENIED (give the Open311 client a credential of its own).
//   The idempotency key: required, the Idempotency-Key header or else a `request_id` field, at
//   most 64 characters of [A-Za-z0-9._:-] (a UUID). It becomes both the channel work-order id
//   (submissions are idempotent on (channel, work-order id), so a retry returns the same
//   service_request_id and a different request under the same key is 409) and the request_id.
//   A re-send answers 200 with the same id and a service_notice saying so.
//   Validation errors name the Open311 field ("phone: not a phone number ...").
//
// Reading: no personal data. A request reads as service_request_id, status ("closed" once
// RESOLVED or CLOSED, else "open"), service_name, service_code, agency_responsible (the lead
// unit's code and department), service_notice, requested_datetime, updated_datetime,
// expected_datetime (the resolve clock's deadline), address (the estate (小区) name only:
// empty for a request submitted here, which gives none), address_id, zipcode, lat, long,
// media_url (empty or null: not kept). Never the complainant's name or phone, the free-text
// address, the description or status notes (free text may hold personal data). Times are
// RFC 3339 in UTC. Answers carry Cache-Control: no-store. Listing by date or status is not
// offered: ListTickets has no gateway grant (access_policy.cc), so it would need a
// gateway-scoped list.
//
// Errors: the HTTP status of the gRPC code (HttpStatusOf, gateway.h) and
// [{"code":<HTTP status>,"description":"<message>"}]; 401 also carries WWW-Authenticate:
// Bearer. A call without an answer within 60 s is 504.
#ifndef DISPATCH_SERVICES_DISPATCHD_OPEN311_H_
#define DISPATCH_SERVICES_DISPATCHD_OPEN311_H_

#include <memory>

#include "absl/status/statusor.h"
#include "common/rpc/method_table.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace dispatch {

class Open311 {
 public:
  // `intake`: the IntakeService's MethodTable (it must outlive this object). Null: the process
  // does not host IntakeService, and Install adds nothing. A table without
  // IntakeService.SubmitComplaint or IntakeService.GetTicket is FAILED_PRECONDITION.
  static absl::StatusOr<std::unique_ptr<Open311>> Create(const rpc::MethodTable* intake);

  // Adds the routes under /open311/ to `server` (a path there that is none of them answers
  // 404 in the Open311 error format). This object and the table must outlive the serving.
  void Install(httplib::Server& server);

  // How long a call waits for its handler before answering 504 (60 s).
  void set_deadline_seconds(int seconds) { deadline_seconds_ = seconds; }

 private:
  Open311() = default;
  void Services(const httplib::Request& req, httplib::Response& res) const;
  void Submit(const httplib::Request& req, httplib::Response& res) const;
  void Get(const httplib::Request& req, httplib::Response& res) const;
  void List(const httplib::Request& req, httplib::Response& res) const;

  const rpc::MethodTable::Entry* submit_ = nullptr;
  const rpc::MethodTable::Entry* get_ = nullptr;
  int deadline_seconds_ = 60;
};

}  // namespace dispatch

#endif  // DISPATCH_SERVICES_DISPATCHD_OPEN311_H_
