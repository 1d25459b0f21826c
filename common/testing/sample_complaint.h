// A realistic, valid 12345-hotline submission: tests start from it and break one rule at a
// time; tools/dispatch_bench sends it with a fresh work-order id per call.
#ifndef DISPATCH_COMMON_TESTING_SAMPLE_COMPLAINT_H_
#define DISPATCH_COMMON_TESTING_SAMPLE_COMPLAINT_H_

#include <string>

#include "dispatch/v1/intake.pb.h"

namespace dispatch::testing {

inline v1::SubmitComplaintRequest HotlineComplaint(const std::string& work_order_id) {
  v1::SubmitComplaintRequest r;
  v1::Complaint* c = r.mutable_complaint();
  c->set_channel(v1::CHANNEL_HOTLINE_12345);
  c->set_channel_work_order_id(work_order_id);
  c->set_category(v1::CATEGORY_SPECIAL_EQUIPMENT);
  c->set_title("电梯停运");
  c->set_description("3号楼2单元电梯停运两天，物业称等配件，老人上下楼困难。");
  c->mutable_location()->mutable_jurisdiction()->set_community_code("330102001001");
  c->mutable_location()->set_estate_name("翠苑一区");
  c->mutable_location()->set_address("3幢2单元");
  c->mutable_complainant()->set_name("王小明");
  c->mutable_complainant()->set_phone("13812345678");
  c->set_property_company("绿城物业");
  return r;
}

}  // namespace dispatch::testing

#endif  // DISPATCH_COMMON_TESTING_SAMPLE_COMPLAINT_H_
