// DepartmentMatrix: which department is responsible for what a complaint is about
// ("sector supervision", DOMAIN.md section 3), plus the departments that assist.
//
// The built-in defaults reproduce DOMAIN.md section 3 row by row; emergency categories (section
// 6, which names no departments) and CATEGORY_OTHER get this project's defaults, documented in
// department_matrix.cc. Configuration (config.v1.Organisation.department_matrix) overrides any
// category. Immutable after construction; thread-safe.
#ifndef DISPATCH_SERVICES_ORG_DEPARTMENT_MATRIX_H_
#define DISPATCH_SERVICES_ORG_DEPARTMENT_MATRIX_H_

#include <map>
#include <vector>

#include "absl/status/statusor.h"
#include "dispatch/config/v1/org.pb.h"
#include "dispatch/v1/types.pb.h"

namespace dispatch::org {

struct Departments {
  v1::Department lead = v1::DEPARTMENT_UNSPECIFIED;
  std::vector<v1::Department> assisting;
};

class DepartmentMatrix {
 public:
  // The DOMAIN.md defaults for `category` (CATEGORY_OTHER's for unknown values).
  static Departments Default(v1::Category category);

  // Defaults overridden by `rules`; INVALID_ARGUMENT names a bad rule
  // ("department_matrix[3].lead: required").
  static absl::StatusOr<DepartmentMatrix> FromConfig(
      const google::protobuf::RepeatedPtrField<config::v1::DepartmentRule>& rules);

  Departments For(v1::Category category) const;

 private:
  std::map<int, Departments> overrides_;
};

}  // namespace dispatch::org

#endif  // DISPATCH_SERVICES_ORG_DEPARTMENT_MATRIX_H_
