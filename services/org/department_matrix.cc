#include "services/org/department_matrix.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace dispatch::org {

Departments DepartmentMatrix::Default(v1::Category category) {
  using D = v1::Department;
  switch (category) {
    // 住建: service quality, contract performance, information disclosure, maintenance funds,
    // renovation supervision, handover/exit of a property company.
    case v1::CATEGORY_SERVICE_QUALITY:
    case v1::CATEGORY_CONTRACT_PERFORMANCE:
    case v1::CATEGORY_INFORMATION_DISCLOSURE:
    case v1::CATEGORY_MAINTENANCE_FUND:
    case v1::CATEGORY_RENOVATION_SUPERVISION:
    case v1::CATEGORY_PROPERTY_COMPANY_HANDOVER:
      return {D::DEPARTMENT_HOUSING, {}};
    // 城管: illegal construction, green space, facades, wall advertising, dumped garbage,
    // renovation violations, restaurant fumes, business noise, stray animals.
    case v1::CATEGORY_ILLEGAL_CONSTRUCTION:
    case v1::CATEGORY_GREEN_SPACE_OCCUPATION:
    case v1::CATEGORY_FACADE_CHANGE:
    case v1::CATEGORY_WALL_ADVERTISING:
    case v1::CATEGORY_DUMPED_GARBAGE:
    case v1::CATEGORY_RENOVATION_VIOLATION:
    case v1::CATEGORY_RESTAURANT_FUMES:
    case v1::CATEGORY_BUSINESS_NOISE:
    case v1::CATEGORY_STRAY_ANIMALS:
      return {D::DEPARTMENT_URBAN_MANAGEMENT, {}};
    // 市场监管: fees above the guided price, no price marking, compulsory charges, parking fees,
    // unlicensed business, lifts and other special equipment.
    case v1::CATEGORY_FEE_ABOVE_GUIDED_PRICE:
    case v1::CATEGORY_NO_PRICE_MARKING:
    case v1::CATEGORY_COMPULSORY_CHARGE:
    case v1::CATEGORY_PARKING_FEE:
    case v1::CATEGORY_UNLICENSED_BUSINESS:
    case v1::CATEGORY_SPECIAL_EQUIPMENT:
      return {D::DEPARTMENT_MARKET_SUPERVISION, {}};
    // 发改: property-fee policy questions and fee disputes.
    case v1::CATEGORY_FEE_POLICY_DISPUTE:
      return {D::DEPARTMENT_DEVELOPMENT_REFORM, {}};
    // 公安: public security, order, animal nuisance, crime during a handover, security guards.
    case v1::CATEGORY_PUBLIC_SECURITY:
    case v1::CATEGORY_ANIMAL_NUISANCE:
    case v1::CATEGORY_HANDOVER_CRIME:
    case v1::CATEGORY_SECURITY_GUARDS:
      return {D::DEPARTMENT_POLICE, {}};
    // 消防救援 with 应急: fire safety, blocked fire lanes, e-bike "flying wire" charging,
    // flammables.
    case v1::CATEGORY_FIRE_SAFETY:
    case v1::CATEGORY_BLOCKED_FIRE_LANE:
    case v1::CATEGORY_EBIKE_CHARGING:
    case v1::CATEGORY_FLAMMABLES:
      return {D::DEPARTMENT_FIRE_RESCUE, {D::DEPARTMENT_EMERGENCY_MANAGEMENT}};
    // 卫健: secondary water supply hygiene, unlicensed catering in homes.
    case v1::CATEGORY_SECONDARY_WATER_SUPPLY:
    case v1::CATEGORY_HOME_CATERING:
      return {D::DEPARTMENT_HEALTH, {}};
    // 自然资源: planning of facilities, parking spaces, supporting buildings.
    case v1::CATEGORY_FACILITY_PLANNING:
    case v1::CATEGORY_PARKING_SPACE_PLANNING:
      return {D::DEPARTMENT_NATURAL_RESOURCES, {}};
    // 生态环境: pollution and industrial noise around the estate.
    case v1::CATEGORY_ENVIRONMENTAL_POLLUTION:
    case v1::CATEGORY_INDUSTRIAL_NOISE:
      return {D::DEPARTMENT_ECOLOGY_ENVIRONMENT, {}};
    case v1::CATEGORY_PROPERTY_STAFF_LABOUR:  // 人社
      return {D::DEPARTMENT_HUMAN_RESOURCES, {}};
    case v1::CATEGORY_HOME_TUTORING_CHILDCARE:  // 教育
      return {D::DEPARTMENT_EDUCATION, {}};
    case v1::CATEGORY_FITNESS_FACILITIES:  // 文旅广体
      return {D::DEPARTMENT_CULTURE_TOURISM_SPORTS, {}};
    case v1::CATEGORY_TELECOM_SIGNAL_CABLING:  // 科工
      return {D::DEPARTMENT_SCIENCE_INDUSTRY, {}};
    // 民政 with the township: owners' committee formation and elections.
    case v1::CATEGORY_OWNERS_COMMITTEE:
      return {D::DEPARTMENT_CIVIL_AFFAIRS, {D::DEPARTMENT_TERRITORIAL}};
    case v1::CATEGORY_MEDIATION_DISPUTE:  // 司法, people's mediation
      return {D::DEPARTMENT_JUSTICE, {}};
    case v1::CATEGORY_MALICIOUS_FEE_ARREARS:  // 法院
      return {D::DEPARTMENT_COURT, {}};
    case v1::CATEGORY_PETITION:  // 信访
      return {D::DEPARTMENT_PETITION, {}};

    // Emergencies (DOMAIN.md section 6 names no departments; these are the project's defaults,
    // override them in configuration). Utility and building emergencies: the housing
    // department makes the property company act, emergency management assists.
    case v1::CATEGORY_EMERGENCY_UTILITY_OUTAGE:
    case v1::CATEGORY_EMERGENCY_SEWAGE_OVERFLOW:
    case v1::CATEGORY_EMERGENCY_BURST_PIPE:
    case v1::CATEGORY_EMERGENCY_FALLING_FACADE:
      return {D::DEPARTMENT_HOUSING, {D::DEPARTMENT_EMERGENCY_MANAGEMENT}};
    case v1::CATEGORY_EMERGENCY_FLOODING:
    case v1::CATEGORY_EMERGENCY_ELECTRIC_SHOCK:
      return {D::DEPARTMENT_EMERGENCY_MANAGEMENT, {D::DEPARTMENT_HOUSING}};
    case v1::CATEGORY_EMERGENCY_FIRE:
      return {D::DEPARTMENT_FIRE_RESCUE, {D::DEPARTMENT_EMERGENCY_MANAGEMENT}};
    // Objects thrown from height, fights and theft are police matters.
    case v1::CATEGORY_EMERGENCY_OBJECT_FROM_HEIGHT:
    case v1::CATEGORY_EMERGENCY_FIGHT:
    case v1::CATEGORY_EMERGENCY_THEFT:
      return {D::DEPARTMENT_POLICE, {}};

    // Anything else goes to the housing department for triage.
    default:
      return {D::DEPARTMENT_HOUSING, {}};
  }
}

absl::StatusOr<DepartmentMatrix> DepartmentMatrix::FromConfig(
    const google::protobuf::RepeatedPtrField<config::v1::DepartmentRule>& rules) {
  DepartmentMatrix m;
  for (int i = 0; i < rules.size(); ++i) {
    const auto& r = rules[i];
    std::string field = absl::StrCat("department_matrix[", i, "]");
    if (r.category() == v1::CATEGORY_UNSPECIFIED || !v1::Category_IsValid(r.category())) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".category: a known Category"));
    }
    if (r.lead() == v1::DEPARTMENT_UNSPECIFIED || !v1::Department_IsValid(r.lead())) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".lead: required, a known Department"));
    }
    Departments d{r.lead(), {}};
    for (int a : r.assisting()) {
      if (a == v1::DEPARTMENT_UNSPECIFIED || !v1::Department_IsValid(a) || a == r.lead() ||
          std::find(d.assisting.begin(), d.assisting.end(), a) != d.assisting.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ".assisting: known departments other than the lead, each once"));
      }
      d.assisting.push_back(static_cast<v1::Department>(a));
    }
    if (!m.overrides_.emplace(r.category(), std::move(d)).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".category: ", v1::Category_Name(r.category()), " is listed twice"));
    }
  }
  return m;
}

Departments DepartmentMatrix::For(v1::Category category) const {
  auto it = overrides_.find(category);
  return it != overrides_.end() ? it->second : Default(category);
}

}  // namespace dispatch::org
