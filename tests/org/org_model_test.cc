// Jurisdiction resolution and routing decisions on the shipped sample organisation
// (deploy/org.textproto).
#include "services/org/org_model.h"

#include "common/config.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/routing/router.h"

namespace dispatch::org {
namespace {

using ::dispatch::testing::IsOk;
using ::dispatch::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::ElementsAre;
using ::testing::SizeIs;
using routing::Route;
using routing::RoutingDecision;

config::v1::Organisation Sample() {
  config::v1::Organisation org;
  absl::Status s = LoadTextProtoFile(DISPATCH_SOURCE_DIR "/deploy/org.textproto", &org);
  EXPECT_THAT(s, IsOk());
  return org;
}

class SampleOrgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto org = OrgModel::FromConfig(Sample());
    ASSERT_THAT(org, IsOk());
    org_ = std::make_unique<OrgModel>(*std::move(org));
    auto matrix = DepartmentMatrix::FromConfig(Sample().department_matrix());
    ASSERT_THAT(matrix, IsOk());
    matrix_ = std::make_unique<DepartmentMatrix>(*std::move(matrix));
  }

  RoutingDecision RouteTo(v1::Category category, const std::string& community,
                          const std::string& estate = "", const std::string& address = "") {
    v1::Location loc;
    loc.mutable_jurisdiction()->set_community_code(community);
    loc.set_estate_name(estate);
    loc.set_address(address);
    return Route(*org_, *matrix_, category, loc);
  }

  std::unique_ptr<OrgModel> org_;
  std::unique_ptr<DepartmentMatrix> matrix_;
};

TEST_F(SampleOrgTest, TheSampleIsValidAndVersioned) {
  EXPECT_EQ(org_->version(), "sample-2026-12-05");
  v1::JurisdictionPath path = org_->PathOf("430923100001");
  EXPECT_EQ(path.city_code(), "430900");
  EXPECT_EQ(path.county_code(), "430923");
  EXPECT_EQ(path.township_code(), "430923100");
  EXPECT_EQ(path.community_code(), "430923100001");
}

TEST_F(SampleOrgTest, ACommunityCodeResolvesDirectly) {
  v1::Location loc;
  loc.mutable_jurisdiction()->set_community_code("430902001001");
  OrgModel::Resolution r = org_->Resolve(loc);
  EXPECT_EQ(r.community_code, "430902001001");
  EXPECT_EQ(r.county_code, "430902");
  EXPECT_FALSE(r.needs_manual_routing);
}

TEST_F(SampleOrgTest, AnEstateNameOrAliasFindsItsCommunity) {
  v1::Location loc;
  loc.set_estate_name("滨江花园");
  EXPECT_EQ(org_->Resolve(loc).community_code, "430923100002");
  loc.set_estate_name(" 滨江苑 ");  // an alias, with stray spaces
  EXPECT_EQ(org_->Resolve(loc).community_code, "430923100002");
  EXPECT_EQ(org_->Resolve(loc).how, "estate alias");
}

TEST_F(SampleOrgTest, AnEstateNamedInTheAddressFindsItsCommunityLongestNameFirst) {
  v1::Location loc;
  loc.set_address("东坪镇翠苑二区3栋201");
  EXPECT_EQ(org_->Resolve(loc).community_code, "430923100001");
  EXPECT_EQ(org_->Resolve(loc).how, "address");
}

TEST_F(SampleOrgTest, AnUnknownLocationInAnUnknownCountyGoesToTheCitysDeskFlagged) {
  RoutingDecision d = RouteTo(v1::CATEGORY_SERVICE_QUALITY, "999999", "不存在的小区");
  EXPECT_TRUE(d.needs_manual_routing);
  EXPECT_EQ(d.lead_unit_code, "430900");  // the city's desk: the county is not known
  EXPECT_THAT(d.explanation, HasSubstr("unknown community code \"999999\""));

  v1::Location loc;
  loc.mutable_jurisdiction()->set_county_code("430902");
  loc.set_address("某路某号");
  RoutingDecision named = Route(*org_, *matrix_, v1::CATEGORY_SERVICE_QUALITY, loc);
  EXPECT_TRUE(named.needs_manual_routing);
  EXPECT_EQ(named.lead_unit_code, "430902");  // the desk of the county the caller named
}

TEST_F(SampleOrgTest, PropertyServiceComplaintsStayWithTheCommunityPropertyOfficer) {
  RoutingDecision d = RouteTo(v1::CATEGORY_SERVICE_QUALITY, "430923100001");
  EXPECT_FALSE(d.needs_manual_routing);
  EXPECT_EQ(d.lead_unit_code, "430923100001");
  EXPECT_EQ(d.lead_department, v1::DEPARTMENT_HOUSING);
  EXPECT_EQ(d.org_version, "sample-2026-12-05");
}

TEST_F(SampleOrgTest, BusinessNoiseGoesToTheTownshipLawEnforcementSquad) {
  RoutingDecision d = RouteTo(v1::CATEGORY_BUSINESS_NOISE, "", "东风新村");
  EXPECT_EQ(d.lead_unit_code, "430902001");
  EXPECT_EQ(d.lead_department, v1::DEPARTMENT_URBAN_MANAGEMENT);
}

TEST_F(SampleOrgTest, FireSafetyGoesToTheCountyWithEmergencyManagementAssisting) {
  RoutingDecision d = RouteTo(v1::CATEGORY_EBIKE_CHARGING, "430923101001");
  EXPECT_EQ(d.lead_unit_code, "430923");
  EXPECT_EQ(d.lead_department, v1::DEPARTMENT_FIRE_RESCUE);
  ASSERT_THAT(d.handlings, SizeIs(2));
  EXPECT_EQ(d.handlings[0].role(), v1::HANDLING_ROLE_LEAD);
  EXPECT_EQ(d.handlings[1].department(), v1::DEPARTMENT_EMERGENCY_MANAGEMENT);
  EXPECT_EQ(d.handlings[1].role(), v1::HANDLING_ROLE_ASSIST);
}

TEST_F(SampleOrgTest, OwnersCommitteeElectionsGoToCivilAffairsWithTheTownship) {
  RoutingDecision d = RouteTo(v1::CATEGORY_OWNERS_COMMITTEE, "430923100001");
  EXPECT_EQ(d.lead_department, v1::DEPARTMENT_CIVIL_AFFAIRS);
  ASSERT_THAT(d.handlings, SizeIs(2));
  EXPECT_EQ(d.handlings[1].department(), v1::DEPARTMENT_TERRITORIAL);
  EXPECT_EQ(d.handlings[1].role(), v1::HANDLING_ROLE_ASSIST);
  EXPECT_EQ(d.handlings[1].unit_code(), "430923100");  // 东坪镇, not the community itself
}

TEST_F(SampleOrgTest, TheSampleOverridesLiftsToInvolveTheCommunityOfficer) {
  RoutingDecision d = RouteTo(v1::CATEGORY_SPECIAL_EQUIPMENT, "430923100001");
  EXPECT_EQ(d.lead_unit_code, "430923100");  // township market-supervision office
  ASSERT_THAT(d.handlings, SizeIs(2));
  EXPECT_EQ(d.handlings[1].unit_code(), "430923100001");
  EXPECT_EQ(d.handlings[1].department(), v1::DEPARTMENT_HOUSING);
}

TEST(OrgModelValidation, NamesTheFirstProblem) {
  config::v1::Organisation org = Sample();
  org.mutable_units(4)->set_parent_code("430900");  // a township hung under the city
  EXPECT_THAT(OrgModel::FromConfig(org),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("units[4].parent_code")));

  org = Sample();
  org.mutable_handlers(0)->set_department(v1::DEPARTMENT_COURT);
  EXPECT_THAT(OrgModel::FromConfig(org),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("handlers[0].department")));

  org = Sample();
  org.mutable_units(1)->set_dispatch_desk(false);
  EXPECT_THAT(OrgModel::FromConfig(org),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no dispatch_desk")));

  org = Sample();
  org.mutable_estates(0)->set_community_code("430923100");  // a township, not a community
  EXPECT_THAT(OrgModel::FromConfig(org),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("estates[0].community_code")));

  org = Sample();
  org.mutable_handlers(0)->mutable_shifts(0)->set_start("8:30");
  EXPECT_THAT(OrgModel::FromConfig(org),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("shifts[0].start")));
}

TEST_F(SampleOrgTest, TheFallbackDeskIsTheCountysOrTheCitys) {
  v1::Location in_zy;
  in_zy.mutable_jurisdiction()->set_county_code("430902");
  in_zy.set_address("某路某号");
  EXPECT_EQ(org_->FallbackDesk(in_zy), "430902");
  v1::Location known;
  known.set_estate_name("翠苑一区");  // 城东社区, 安化县
  EXPECT_EQ(org_->FallbackDesk(known), "430923");
  v1::Location nowhere;
  nowhere.set_address("某路某号");
  EXPECT_EQ(org_->FallbackDesk(nowhere), "430900");
}

TEST_F(SampleOrgTest, SubtreesFollowTheParentLinks) {
  EXPECT_TRUE(org_->InSubtree("430923100001", "430923100001"));
  EXPECT_TRUE(org_->InSubtree("430923100001", "430923100"));
  EXPECT_TRUE(org_->InSubtree("430923100001", "430923"));
  EXPECT_TRUE(org_->InSubtree("430923100001", "430900"));
  EXPECT_FALSE(org_->InSubtree("430902001001", "430923"));
  EXPECT_FALSE(org_->InSubtree("430923101001", "430923100"));  // a sibling township
  EXPECT_FALSE(org_->InSubtree("430923", "430923100"));        // not upwards
  EXPECT_FALSE(org_->InSubtree("999999", "430900"));           // unknown units are nowhere
  EXPECT_THAT(org_->Ancestors("430923100001"), ElementsAre("430923100", "430923", "430900"));
  EXPECT_THAT(org_->Ancestors("430900"), SizeIs(0));
}

// The official 12-digit statistical division codes (统计用区划代码): a county's code is not a
// prefix of its communities' codes as a string of 12 characters.
config::v1::Organisation TwelveDigitOrg() {
  config::v1::Organisation org;
  EXPECT_THAT(ParseTextProto(R"pb(
    version: "twelve-digit-1"
    units { code: "430900000000" name: "示范市" tier: TIER_CITY departments: DEPARTMENT_HOUSING }
    units { code: "430923000000" name: "安化县" tier: TIER_COUNTY parent_code: "430900000000"
            dispatch_desk: true departments: DEPARTMENT_HOUSING }
    units { code: "430923100000" name: "东坪镇" tier: TIER_TOWNSHIP parent_code: "430923000000"
            departments: DEPARTMENT_HOUSING }
    units { code: "430923100001" name: "城东社区" tier: TIER_COMMUNITY
            parent_code: "430923100000" departments: DEPARTMENT_HOUSING }
    units { code: "430902000000" name: "资阳区" tier: TIER_COUNTY parent_code: "430900000000"
            dispatch_desk: true departments: DEPARTMENT_HOUSING }
  )pb", &org), IsOk());
  return org;
}

TEST(OrgModelTree, TwelveDigitDivisionCodesFormTheTreeByTheirParents) {
  auto org = OrgModel::FromConfig(TwelveDigitOrg());
  ASSERT_THAT(org, IsOk());
  EXPECT_TRUE(org->InSubtree("430923100001", "430923000000"));  // the county's community
  EXPECT_TRUE(org->InSubtree("430923100001", "430923100000"));
  EXPECT_FALSE(org->InSubtree("430923100001", "430902000000"));
  EXPECT_EQ(org->PathOf("430923100001").county_code(), "430923000000");
  EXPECT_EQ(org->DeskOf("430923000000"), "430923000000");
}

TEST(OrgModelValidation, AUnitWhoseParentIsMissingOrNotOneTierUpIsRefused) {
  config::v1::Organisation org = TwelveDigitOrg();
  org.mutable_units(3)->set_parent_code("430923999000");
  EXPECT_THAT(OrgModel::FromConfig(org),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("units[3].parent_code: no unit \"430923999000\"")));
  org = TwelveDigitOrg();
  org.mutable_units(3)->set_parent_code("430923000000");  // a community right under a county
  EXPECT_THAT(OrgModel::FromConfig(org),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("units[3].parent_code: a TIER_COMMUNITY unit's parent must be "
                                 "one tier up, not TIER_COUNTY")));
  org = TwelveDigitOrg();
  org.mutable_units(2)->set_parent_code("430923100001");  // a township under its own community
  EXPECT_THAT(OrgModel::FromConfig(org),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("units[2].parent_code")));
}

TEST(OrgModelValidation, NamesAndLabelsAreBounded) {
  config::v1::Organisation org = Sample();
  org.mutable_units(0)->set_name(std::string(51, 'x'));
  EXPECT_THAT(OrgModel::FromConfig(org),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("units[0].name: at most 50 characters")));
  org = Sample();
  org.set_version("a label with spaces");
  EXPECT_THAT(OrgModel::FromConfig(org),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("version:")));
  org = Sample();
  org.mutable_estates(0)->add_aliases(std::string(101, 'y'));
  EXPECT_THAT(OrgModel::FromConfig(org),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("estates[0].aliases")));
}

TEST(OrgModelResolution, AnAddressNamingAnEstateAndAnotherEstatesAliasOfTheSameLengthGoesByTheName) {
  config::v1::Organisation config = Sample();
  config.mutable_estates(2)->add_aliases("滨江小区");  // 滨江花园 (430923100002), as long as 翠苑一区
  auto org = OrgModel::FromConfig(config);
  ASSERT_THAT(org, IsOk());
  v1::Location loc;
  loc.set_address("翠苑一区旁滨江小区");
  OrgModel::Resolution r = org->Resolve(loc);
  EXPECT_EQ(r.community_code, "430923100001");
  EXPECT_EQ(r.how, "address");
}

// Property companies (DOMAIN.md §5: complaints feed the company's credit).
constexpr char kCuiyuan[] = "91430923MA4L000016";   // 翠苑一区, 翠苑二区
constexpr char kBinjiang[] = "91430923MA4L000029";  // 滨江花园
constexpr char kDongfeng[] = "91430902MA4L00003Y";  // 东风新村, 长春花园

TEST(CreditCodes, AUnifiedSocialCreditCodeEndsInTheCheckCharacterOfTheSeventeenBefore) {
  EXPECT_TRUE(IsCreditCode("91350100M000100Y43"));  // published examples
  EXPECT_TRUE(IsCreditCode("91110000802100433B"));
  EXPECT_TRUE(IsCreditCode(kDongfeng));               // check character Y (value 30)
  EXPECT_FALSE(IsCreditCode("91350100M000100Y44"));  // wrong check character
  EXPECT_FALSE(IsCreditCode("91350100M000100Y4"));   // 17 characters
  EXPECT_FALSE(IsCreditCode("91350100m000100y43"));  // lower case is not the code
  EXPECT_FALSE(IsCreditCode("91350100I000100Y43"));  // I, O, S, V, Z are not used
  EXPECT_FALSE(IsCreditCode(""));
}

TEST_F(SampleOrgTest, AComplaintAboutAnEstateIsAboutTheCompanyServingIt) {
  auto company = [&](const std::string& estate, const std::string& address) {
    v1::Location loc;
    loc.set_estate_name(estate);
    loc.set_address(address);
    return org_->CompanyFor(loc, "");
  };
  EXPECT_EQ(company("翠苑二区", ""), kCuiyuan);
  EXPECT_EQ(company("滨江苑", ""), kBinjiang);           // by an alias
  EXPECT_EQ(company("", "资江路长春花园3栋"), kDongfeng);  // inside the address
  EXPECT_EQ(company("茶乡名居", ""), "");                // an estate no company is listed for
  EXPECT_EQ(company("", "某路1号"), "");
}

TEST_F(SampleOrgTest, ACompanyNamedByCodeWinsThenTheEstatesCompanyThenOneNamedByName) {
  v1::Location cuiyuan;
  cuiyuan.set_estate_name("翠苑一区");
  // The caller's code (any letter case) of a known company, even for another company's estate.
  EXPECT_EQ(org_->CompanyFor(cuiyuan, "91430923ma4l000029"), kBinjiang);
  // A name loses to the estate's company: names are how callers guess.
  EXPECT_EQ(org_->CompanyFor(cuiyuan, "安化滨江物业管理有限公司"), kCuiyuan);
  v1::Location unlisted;
  unlisted.set_estate_name("茶乡名居");
  EXPECT_EQ(org_->CompanyFor(unlisted, "安化滨江物业 管理有限公司"), kBinjiang);  // spaces ignored
  EXPECT_EQ(org_->CompanyFor(unlisted, "某某物业"), "");  // not a company of the organisation
  EXPECT_EQ(org_->CompanyFor(unlisted, "91350100M000100Y43"), "");  // a valid code, not listed
  ASSERT_NE(org_->FindCompany(kDongfeng), nullptr);
  EXPECT_EQ(org_->FindCompany(kDongfeng)->name, "益阳东风物业服务有限公司");
}

TEST(OrgModelValidation, CompaniesNeedValidUniqueCodesAndNamesAndServeEachEstateAtMostOnce) {
  config::v1::Organisation org = Sample();
  org.mutable_companies(0)->set_credit_code("91430923MA4L000017");
  EXPECT_THAT(OrgModel::FromConfig(org),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("companies[0].credit_code: \"91430923MA4L000017\" is not a "
                                 "unified social credit code")));
  org = Sample();
  org.mutable_companies(1)->set_credit_code(kCuiyuan);
  EXPECT_THAT(OrgModel::FromConfig(org),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("companies[1].credit_code: \"91430923MA4L000016\" is listed twice")));
  org = Sample();
  org.mutable_companies(1)->set_name(org.companies(0).name());
  EXPECT_THAT(OrgModel::FromConfig(org),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("companies[1].name")));
  org = Sample();
  org.mutable_companies(0)->set_name("");
  EXPECT_THAT(OrgModel::FromConfig(org),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("companies[0].name")));
  org = Sample();
  org.mutable_companies(0)->add_estates("不存在的小区");
  EXPECT_THAT(OrgModel::FromConfig(org),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("companies[0].estates[2]: \"不存在的小区\" is not in the estate "
                                 "directory")));
  org = Sample();
  org.mutable_companies(1)->add_estates("翠苑小区一期");  // 翠苑一区 by its alias
  EXPECT_THAT(OrgModel::FromConfig(org),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("companies[1].estates[1]: \"翠苑小区一期\" is already served by "
                                 "91430923MA4L000016")));
}

}  // namespace
}  // namespace dispatch::org
