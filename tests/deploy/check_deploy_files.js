// Static checks of the deploy files that promtool and systemd-analyze do not make (run by
// tests/deploy/check_deploy.sh, plain node, no packages):
//   - deploy/grafana/dispatch.json parses, has the structure Grafana provisioning needs, and
//     selects its data source through the DS_PROMETHEUS variable whose default is the uid in
//     provisioning/datasources/prometheus.yaml;
//   - every metric name in a dashboard or alert `expr` is one dispatchd exports (the contract
//     below, issue #17), one of prometheus-redis-exporter, or Prometheus' own `up`; a typo would
//     otherwise pass the rule tests, which use the same typo;
//   - every family of the contract has a panel;
//   - every alert has for, severity, summary, summary_zh and description, and a firing and a
//     quiet case in dispatch.rules.test.yml.
// With --dump-promql FILE it also writes every dashboard expression, Grafana variables
// substituted, as recording rules (JSON is YAML) for `promtool check rules` to parse.
//
// Usage: node check_deploy_files.js DEPLOY_DIR [--dump-promql FILE]
'use strict';
const fs = require('fs');
const path = require('path');

// --- The metric contract (what the C++ side exports) ---------------------------------------
const COUNTERS_AND_GAUGES = [
  'grpc_server_started_total', 'grpc_server_handled_total',
  'dispatch_http_requests_total',
  'dispatch_complaints_accepted_total', 'dispatch_tickets_closed_total',
  'dispatch_clocks_started_total', 'dispatch_clocks_met_total', 'dispatch_clock_breaches_total',
  'dispatch_clock_warnings_total', 'dispatch_escalations_total',
  'dispatch_timer_due_backlog', 'dispatch_timer_due_lag_seconds',
  'dispatch_routing_backlog', 'dispatch_routing_oldest_unrouted_age_seconds',
  'dispatch_read_model_lag_seconds', 'dispatch_open_tickets', 'dispatch_calendar_fallbacks_total',
  'dispatch_watch_streams', 'dispatch_watch_cutoffs_total', 'dispatch_auth_failures_total',
  'dispatch_redis_errors_total', 'dispatch_pg_errors_total', 'dispatch_dependency_up',
  'dispatch_opstats_refreshed_timestamp_seconds',
];
const HISTOGRAMS = [
  'grpc_server_handling_seconds', 'dispatch_http_request_duration_seconds',
  'dispatch_time_to_assign_seconds', 'dispatch_time_to_resolve_seconds',
  'dispatch_timer_lateness_seconds', 'dispatch_redis_roundtrip_seconds',
  'dispatch_pg_statement_duration_seconds',
];
// prometheus-redis-exporter 1.45 (Debian 12), from its exporter.go metric maps.
const REDIS_EXPORTER = [
  'redis_up', 'redis_memory_used_bytes', 'redis_memory_max_bytes', 'redis_connected_clients',
  'redis_commands_processed_total', 'redis_evicted_keys_total', 'redis_rejected_connections_total',
  'redis_keyspace_hits_total', 'redis_keyspace_misses_total', 'redis_db_keys',
];
const PROMETHEUS = ['up'];

const allowed = new Map(); // series name -> contract family
for (const n of COUNTERS_AND_GAUGES) allowed.set(n, n);
for (const n of HISTOGRAMS) for (const s of ['_bucket', '_sum', '_count']) allowed.set(n + s, n);
for (const n of [...REDIS_EXPORTER, ...PROMETHEUS]) allowed.set(n, n);

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on',
  'ignoring', 'group_left', 'group_right', 'inf', 'nan', 'Inf', 'NaN', 'atan2']);

// The metric names a PromQL expression selects. Not a parser: strings, label matchers, ranges
// and grouping lists are removed; what remains that looks like an identifier and is not a
// function call or a keyword is a metric name.
function metricNames(expr) {
  let e = expr.replace(/\$\{?__?\w+\}?/g, '5m'); // Grafana variables ($__rate_interval)
  e = e.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  e = e.replace(/\{[^}]*\}/g, ' ');
  e = e.replace(/\[[^\]]*\]/g, ' ');
  e = e.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  e = e.replace(/\boffset\s+-?[\dsmhdwy]+/g, ' ');
  const names = [];
  for (const m of e.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    if (m[2] || KEYWORDS.has(m[1])) continue;
    names.push(m[1]);
  }
  return names;
}

// --- A few lines of YAML reading, enough for our own files -------------------------------------
// The `expr:` values of a rules file: inline, or a block scalar (| or >) below it.
function yamlExprs(text) {
  const lines = text.split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const m = lines[i].match(/^(\s*)(?:-\s+)?expr:\s*(.*)$/);
    if (!m) continue;
    const indent = m[1].length;
    const v = m[2].replace(/\s+#.*$/, '');
    if (/^[|>][-+]?$/.test(v)) {
      const block = [];
      while (i + 1 < lines.length && (lines[i + 1].trim() === '' ||
             lines[i + 1].match(/^(\s*)/)[1].length > indent)) {
        block.push(lines[++i]);
      }
      out.push(block.join('\n').trim());
    } else {
      out.push(v.replace(/^(['"])(.*)\1$/, '$2'));
    }
  }
  return out;
}

const errors = [];
const fail = (msg) => errors.push(msg);

function checkNames(where, expr) {
  const names = metricNames(expr);
  if (names.length === 0) fail(`${where}: no metric name found in ${JSON.stringify(expr)}`);
  for (const n of names) {
    if (!allowed.has(n)) fail(`${where}: unknown metric "${n}" in ${JSON.stringify(expr)}`);
  }
  return names;
}

const deployDir = process.argv[2];
if (!deployDir) { console.error('usage: check_deploy_files.js DEPLOY_DIR [--dump-promql FILE]'); process.exit(2); }
const dumpAt = process.argv.indexOf('--dump-promql');
const dumpFile = dumpAt > 0 ? process.argv[dumpAt + 1] : null;
const read = (rel) => fs.readFileSync(path.join(deployDir, rel), 'utf8');

// --- Grafana ------------------------------------------------------------------------------
const dsYaml = read('grafana/provisioning/datasources/prometheus.yaml');
const dsUid = (dsYaml.match(/^\s+uid:\s*"?([\w-]+)"?\s*$/m) || [])[1];
if (!dsUid) fail('provisioning/datasources/prometheus.yaml: no uid');
const dbYaml = read('grafana/provisioning/dashboards/dispatch.yaml');
if (!/^\s+type:\s*file\s*$/m.test(dbYaml)) fail('provisioning/dashboards/dispatch.yaml: not a file provider');
if (!/^\s+path:\s*\/\S+/m.test(dbYaml)) fail('provisioning/dashboards/dispatch.yaml: no absolute options.path');

let dash;
try {
  dash = JSON.parse(read('grafana/dispatch.json'));
} catch (e) {
  console.error(`FAIL grafana/dispatch.json does not parse: ${e.message}`);
  process.exit(1);
}
if (!(dash.schemaVersion >= 36)) fail(`dispatch.json: schemaVersion ${dash.schemaVersion} < 36`);
if (!dash.uid || !dash.title) fail('dispatch.json: no uid or title');
const dsVar = ((dash.templating || {}).list || []).find((v) => v.name === 'DS_PROMETHEUS');
if (!dsVar || dsVar.type !== 'datasource' || dsVar.query !== 'prometheus') {
  fail('dispatch.json: no templating variable DS_PROMETHEUS of type datasource (prometheus)');
} else if (((dsVar.current || {}).value) !== dsUid) {
  fail(`dispatch.json: DS_PROMETHEUS defaults to "${(dsVar.current || {}).value}", the provisioned data source is "${dsUid}"`);
}
const isTemplatedDs = (ds) => ds && ds.type === 'prometheus' && ds.uid === '${DS_PROMETHEUS}';

const flat = [];
for (const p of dash.panels || []) {
  flat.push(p);
  for (const q of p.panels || []) flat.push(q);
}
const ids = new Set();
const used = new Set();
const dumped = [];
let nExpr = 0;
for (const p of flat) {
  const where = `dispatch.json panel ${p.id} "${p.title}"`;
  if (typeof p.id !== 'number' || ids.has(p.id)) fail(`${where}: missing or duplicate id`);
  ids.add(p.id);
  const g = p.gridPos || {};
  if (![g.h, g.w, g.x, g.y].every(Number.isInteger) || g.x + g.w > 24) fail(`${where}: bad gridPos`);
  if (p.type === 'row') continue;
  if (!isTemplatedDs(p.datasource)) fail(`${where}: datasource is not \${DS_PROMETHEUS}`);
  if (!Array.isArray(p.targets) || p.targets.length === 0) fail(`${where}: no targets`);
  const refIds = new Set();
  for (const t of p.targets || []) {
    if (!isTemplatedDs(t.datasource)) fail(`${where} ${t.refId}: datasource is not \${DS_PROMETHEUS}`);
    if (!t.refId || refIds.has(t.refId)) fail(`${where}: missing or duplicate refId`);
    refIds.add(t.refId);
    if (typeof t.expr !== 'string' || !t.expr.trim()) { fail(`${where} ${t.refId}: no expr`); continue; }
    nExpr++;
    for (const n of checkNames(`${where} ${t.refId}`, t.expr)) used.add(allowed.get(n) || n);
    dumped.push({ record: `dashboard:panel_${p.id}_${t.refId}`,
                  expr: t.expr.replace(/\$\{?__\w+\}?/g, '5m') });
  }
}
for (const family of [...COUNTERS_AND_GAUGES, ...HISTOGRAMS]) {
  if (!used.has(family)) fail(`dispatch.json: no panel shows ${family}`);
}
if (dumpFile) {
  fs.writeFileSync(dumpFile, JSON.stringify({ groups: [{ name: 'dashboard', rules: dumped }] }, null, 1));
}

// --- Alert rules and their tests -----------------------------------------------------------
const rulesText = read('prometheus/dispatch.rules.yml');
const ruleExprs = yamlExprs(rulesText);
const alerts = [...rulesText.matchAll(/^\s*- alert:\s*(\S+)/gm)].map((m) => m[1]);
const records = [...rulesText.matchAll(/^\s*- record:\s*(\S+)/gm)].map((m) => m[1]);
if (ruleExprs.length !== alerts.length + records.length || alerts.length === 0) {
  fail(`dispatch.rules.yml: read ${ruleExprs.length} exprs for ${alerts.length} alerts and ${records.length} records`);
}
ruleExprs.forEach((e, i) => checkNames(`dispatch.rules.yml ${alerts[i] || records[i - alerts.length]}`, e));
// Each alert's block of text, up to the next rule or group.
const blocks = rulesText.split(/^(?=\s*- (?:alert|record):)/m).slice(1);
for (const b of blocks) {
  const name = (b.match(/- alert:\s*(\S+)/) || [])[1];
  if (!name) continue;
  for (const key of ['for', 'severity', 'summary', 'summary_zh', 'description']) {
    if (!new RegExp(`^\\s+${key}:\\s*\\S`, 'm').test(b)) fail(`dispatch.rules.yml ${name}: no ${key}`);
  }
  if (!/^\s+severity:\s*(critical|warning|info)\s*$/m.test(b)) fail(`dispatch.rules.yml ${name}: severity not critical, warning or info`);
}
const testLines = read('prometheus/dispatch.rules.test.yml').split('\n');
const fires = new Set();
const quiet = new Set();
let current = null;
for (let i = 0; i < testLines.length; i++) {
  const a = testLines[i].match(/^\s*alertname:\s*(\S+)/);
  if (a) { current = a[1]; continue; }
  const x = testLines[i].match(/^\s*exp_alerts:\s*(.*)$/);
  if (!x || !current) continue;
  if (x[1].trim() === '[]') quiet.add(current);
  else if (x[1].trim() === '' && /^\s*- exp_labels:/.test(testLines[i + 1] || '')) fires.add(current);
}
for (const name of alerts) {
  if (!fires.has(name)) fail(`dispatch.rules.test.yml: no case where ${name} fires`);
  if (!quiet.has(name)) fail(`dispatch.rules.test.yml: no case where ${name} stays quiet`);
}

if (errors.length) {
  for (const e of errors) console.error(`FAIL ${e}`);
  process.exit(1);
}
console.log(`ok: dispatch.json: ${flat.length} panels, ${nExpr} expressions; ` +
  `dispatch.rules.yml: ${alerts.length} alerts, each with a firing and a quiet test; ` +
  `every metric name known; data source uid ${dsUid}`);
