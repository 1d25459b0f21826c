// The department matrix of DOMAIN.md section 3, one row at a time.
#include "services/org/department_matrix.h"

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dispatch::org {
namespace {

using ::dispatch::testing::IsOk;
using ::dispatch::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct Row {
  const char* about;  // DOMAIN.md's words
  v1::Category category;
  v1::Department lead;
};

// Every category of DOMAIN.md section 3 and the department the table names.
const Row kDomainTable[] = {
    {"service quality", v1::CATEGORY_SERVICE_QUALITY, v1::DEPARTMENT_HOUSING},
    {"contract performance", v1::CATEGORY_CONTRACT_PERFORMANCE, v1::DEPARTMENT_HOUSING},
    {"information disclosure", v1::CATEGORY_INFORMATION_DISCLOSURE, v1::DEPARTMENT_HOUSING},
    {"maintenance funds", v1::CATEGORY_MAINTENANCE_FUND, v1::DEPARTMENT_HOUSING},
    {"renovation supervision", v1::CATEGORY_RENOVATION_SUPERVISION, v1::DEPARTMENT_HOUSING},
    {"handover/exit of a property company", v1::CATEGORY_PROPERTY_COMPANY_HANDOVER,
     v1::DEPARTMENT_HOUSING},
    {"illegal construction", v1::CATEGORY_ILLEGAL_CONSTRUCTION, v1::DEPARTMENT_URBAN_MANAGEMENT},
    {"occupying green space", v1::CATEGORY_GREEN_SPACE_OCCUPATION,
     v1::DEPARTMENT_URBAN_MANAGEMENT},
    {"facade changes", v1::CATEGORY_FACADE_CHANGE, v1::DEPARTMENT_URBAN_MANAGEMENT},
    {"wall advertising", v1::CATEGORY_WALL_ADVERTISING, v1::DEPARTMENT_URBAN_MANAGEMENT},
    {"dumped garbage", v1::CATEGORY_DUMPED_GARBAGE, v1::DEPARTMENT_URBAN_MANAGEMENT},
    {"renovation violations", v1::CATEGORY_RENOVATION_VIOLATION, v1::DEPARTMENT_URBAN_MANAGEMENT},
    {"restaurant fumes", v1::CATEGORY_RESTAURANT_FUMES, v1::DEPARTMENT_URBAN_MANAGEMENT},
    {"noise from businesses", v1::CATEGORY_BUSINESS_NOISE, v1::DEPARTMENT_URBAN_MANAGEMENT},
    {"stray animals", v1::CATEGORY_STRAY_ANIMALS, v1::DEPARTMENT_URBAN_MANAGEMENT},
    {"property fees above the guided price", v1::CATEGORY_FEE_ABOVE_GUIDED_PRICE,
     v1::DEPARTMENT_MARKET_SUPERVISION},
    {"no price marking", v1::CATEGORY_NO_PRICE_MARKING, v1::DEPARTMENT_MARKET_SUPERVISION},
    {"compulsory charges", v1::CATEGORY_COMPULSORY_CHARGE, v1::DEPARTMENT_MARKET_SUPERVISION},
    {"parking fees", v1::CATEGORY_PARKING_FEE, v1::DEPARTMENT_MARKET_SUPERVISION},
    {"unlicensed business", v1::CATEGORY_UNLICENSED_BUSINESS, v1::DEPARTMENT_MARKET_SUPERVISION},
    {"lifts and other special equipment", v1::CATEGORY_SPECIAL_EQUIPMENT,
     v1::DEPARTMENT_MARKET_SUPERVISION},
    {"property-fee policy questions and fee disputes", v1::CATEGORY_FEE_POLICY_DISPUTE,
     v1::DEPARTMENT_DEVELOPMENT_REFORM},
    {"public security, order", v1::CATEGORY_PUBLIC_SECURITY, v1::DEPARTMENT_POLICE},
    {"animal nuisance", v1::CATEGORY_ANIMAL_NUISANCE, v1::DEPARTMENT_POLICE},
    {"crime during a handover", v1::CATEGORY_HANDOVER_CRIME, v1::DEPARTMENT_POLICE},
    {"security guards", v1::CATEGORY_SECURITY_GUARDS, v1::DEPARTMENT_POLICE},
    {"fire safety", v1::CATEGORY_FIRE_SAFETY, v1::DEPARTMENT_FIRE_RESCUE},
    {"blocked fire lanes and exits", v1::CATEGORY_BLOCKED_FIRE_LANE, v1::DEPARTMENT_FIRE_RESCUE},
    {"e-bike flying-wire charging", v1::CATEGORY_EBIKE_CHARGING, v1::DEPARTMENT_FIRE_RESCUE},
    {"flammables", v1::CATEGORY_FLAMMABLES, v1::DEPARTMENT_FIRE_RESCUE},
    {"secondary water supply hygiene", v1::CATEGORY_SECONDARY_WATER_SUPPLY,
     v1::DEPARTMENT_HEALTH},
    {"unlicensed catering in homes", v1::CATEGORY_HOME_CATERING, v1::DEPARTMENT_HEALTH},
    {"planning of facilities", v1::CATEGORY_FACILITY_PLANNING, v1::DEPARTMENT_NATURAL_RESOURCES},
    {"parking spaces", v1::CATEGORY_PARKING_SPACE_PLANNING, v1::DEPARTMENT_NATURAL_RESOURCES},
    {"pollution around the estate", v1::CATEGORY_ENVIRONMENTAL_POLLUTION,
     v1::DEPARTMENT_ECOLOGY_ENVIRONMENT},
    {"industrial noise", v1::CATEGORY_INDUSTRIAL_NOISE, v1::DEPARTMENT_ECOLOGY_ENVIRONMENT},
    {"labour relations of property staff", v1::CATEGORY_PROPERTY_STAFF_LABOUR,
     v1::DEPARTMENT_HUMAN_RESOURCES},
    {"unlicensed tutoring or childcare in homes", v1::CATEGORY_HOME_TUTORING_CHILDCARE,
     v1::DEPARTMENT_EDUCATION},
    {"fitness facilities", v1::CATEGORY_FITNESS_FACILITIES, v1::DEPARTMENT_CULTURE_TOURISM_SPORTS},
    {"telecom signal and cabling", v1::CATEGORY_TELECOM_SIGNAL_CABLING,
     v1::DEPARTMENT_SCIENCE_INDUSTRY},
    {"owners' committee formation and elections", v1::CATEGORY_OWNERS_COMMITTEE,
     v1::DEPARTMENT_CIVIL_AFFAIRS},
    {"disputes needing mediation", v1::CATEGORY_MEDIATION_DISPUTE, v1::DEPARTMENT_JUSTICE},
    {"malicious arrears of property fees", v1::CATEGORY_MALICIOUS_FEE_ARREARS,
     v1::DEPARTMENT_COURT},
    {"petitions", v1::CATEGORY_PETITION, v1::DEPARTMENT_PETITION},
};

TEST(DepartmentMatrix, ReproducesDomainSection3ForEveryCategory) {
  for (const Row& row : kDomainTable) {
    EXPECT_EQ(DepartmentMatrix::Default(row.category).lead, row.lead)
        << row.about << " (" << v1::Category_Name(row.category) << ")";
  }
}

TEST(DepartmentMatrix, EveryNonEmergencyCategoryIsInTheTable) {
  // A category added to the proto must be added to DOMAIN's table here too.
  const auto* e = v1::Category_descriptor();
  int in_table = 0;
  for (int i = 0; i < e->value_count(); ++i) {
    int c = e->value(i)->number();
    if (c == v1::CATEGORY_UNSPECIFIED || c == v1::CATEGORY_OTHER || c >= 200) continue;
    bool found = false;
    for (const Row& row : kDomainTable) found |= row.category == c;
    EXPECT_TRUE(found) << e->value(i)->name();
    ++in_table;
  }
  EXPECT_EQ(in_table, static_cast<int>(std::size(kDomainTable)));
}

TEST(DepartmentMatrix, FireCasesAreHandledWithEmergencyManagement) {
  EXPECT_THAT(DepartmentMatrix::Default(v1::CATEGORY_EBIKE_CHARGING).assisting,
              ElementsAre(v1::DEPARTMENT_EMERGENCY_MANAGEMENT));
}

TEST(DepartmentMatrix, OwnersCommitteesAreCivilAffairsWithTheTownship) {
  EXPECT_THAT(DepartmentMatrix::Default(v1::CATEGORY_OWNERS_COMMITTEE).assisting,
              ElementsAre(v1::DEPARTMENT_TERRITORIAL));
  EXPECT_THAT(DepartmentMatrix::Default(v1::CATEGORY_SERVICE_QUALITY).assisting, IsEmpty());
}

TEST(DepartmentMatrix, EveryEmergencyHasALeadDepartment) {
  for (int c = v1::CATEGORY_EMERGENCY_UTILITY_OUTAGE; c <= v1::CATEGORY_EMERGENCY_FLOODING; ++c) {
    EXPECT_NE(DepartmentMatrix::Default(static_cast<v1::Category>(c)).lead,
              v1::DEPARTMENT_UNSPECIFIED)
        << c;
  }
  EXPECT_EQ(DepartmentMatrix::Default(v1::CATEGORY_EMERGENCY_FIRE).lead,
            v1::DEPARTMENT_FIRE_RESCUE);
}

TEST(DepartmentMatrix, ConfigurationOverridesOneCategory) {
  google::protobuf::RepeatedPtrField<config::v1::DepartmentRule> rules;
  auto* r = rules.Add();
  r->set_category(v1::CATEGORY_PARKING_FEE);
  r->set_lead(v1::DEPARTMENT_DEVELOPMENT_REFORM);
  r->add_assisting(v1::DEPARTMENT_MARKET_SUPERVISION);
  auto m = DepartmentMatrix::FromConfig(rules);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->For(v1::CATEGORY_PARKING_FEE).lead, v1::DEPARTMENT_DEVELOPMENT_REFORM);
  EXPECT_EQ(m->For(v1::CATEGORY_NO_PRICE_MARKING).lead, v1::DEPARTMENT_MARKET_SUPERVISION);
}

TEST(DepartmentMatrix, BadRulesAreNamed) {
  google::protobuf::RepeatedPtrField<config::v1::DepartmentRule> rules;
  rules.Add()->set_category(v1::CATEGORY_PARKING_FEE);
  EXPECT_THAT(DepartmentMatrix::FromConfig(rules),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("department_matrix[0].lead")));
  // An assisting department listed twice would be two shares nobody can tell apart.
  rules.Mutable(0)->set_lead(v1::DEPARTMENT_MARKET_SUPERVISION);
  rules.Mutable(0)->add_assisting(v1::DEPARTMENT_HOUSING);
  rules.Mutable(0)->add_assisting(v1::DEPARTMENT_HOUSING);
  EXPECT_THAT(DepartmentMatrix::FromConfig(rules),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("department_matrix[0].assisting: known departments other than "
                                 "the lead, each once")));
}

}  // namespace
}  // namespace dispatch::org
