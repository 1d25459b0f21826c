// End-to-end browser test of the duty officer's dashboard, in headless Chromium (Debian's
// /usr/bin/chromium) driven by playwright-core. Run with
//
//   node --test --test-reporter=tap tests/web/e2e.test.mjs
//
// against a running dispatchd whose HTTP gateway serves the built dashboard at / and the API
// under /v1/, with the service clock scaled (dispatchd --time_scale=600: the 30-minute assign
// clock breaches 3 s after acceptance). The environment names the server:
//
//   DISPATCH_HTTP_URL          e.g. http://127.0.0.1:8080 (required)
//   DISPATCH_SUPERVISOR_TOKEN  a supervisor's token whose unit contains the community below
//                              (e.g. --unit=430923 --roles=supervisor) (required)
//   DISPATCH_GATEWAY_TOKEN     a gateway token for channel CHANNEL_HOTLINE_12345 (required)
//   DISPATCH_SCREENSHOT_DIR    where the screenshots go (default: <tmp>/dispatch-e2e)
//   DISPATCH_WEB_DIR           a directory whose node_modules has playwright-core (default:
//                              web/ of this checkout, then build/web)
//   DISPATCH_CHROMIUM          the browser (default /usr/bin/chromium)
//   DISPATCH_E2E_COMMUNITY     the community the complaint names (default 430923100001, 城东社区
//                              of deploy/org.textproto)
//   DISPATCH_E2E_TIMEOUT_S     how long to wait for the breach and escalation (default 90)
//
// Steps: a refused token sends the user back to sign-in; sign in with the supervisor's token;
// submit a complaint through POST /v1/complaints; its row appears among the tickets about to
// breach; it turns breached and escalated; its page shows the ASSIGN clock's timeline breached
// and the history; the statistics page renders; logging out clears the session. A screenshot
// at each step.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const env = process.env;

const BASE = (env.DISPATCH_HTTP_URL ?? '').replace(/\/+$/, '');
const SUPERVISOR = env.DISPATCH_SUPERVISOR_TOKEN ?? '';
const GATEWAY = env.DISPATCH_GATEWAY_TOKEN ?? '';
const SHOTS = env.DISPATCH_SCREENSHOT_DIR || join(tmpdir(), 'dispatch-e2e');
const CHROMIUM = env.DISPATCH_CHROMIUM || '/usr/bin/chromium';
const COMMUNITY = env.DISPATCH_E2E_COMMUNITY || '430923100001';
const WAIT_MS = Number(env.DISPATCH_E2E_TIMEOUT_S || 90) * 1000;

function loadPlaywright() {
  const dirs = [env.DISPATCH_WEB_DIR, join(repo, 'web'), join(repo, 'build', 'web')].filter(Boolean);
  for (const d of dirs) {
    try {
      return createRequire(join(d, 'package.json'))('playwright-core');
    } catch {
      /* next */
    }
  }
  throw new Error(`playwright-core not found in node_modules of: ${dirs.join(', ')} (set DISPATCH_WEB_DIR)`);
}

function claimsOf(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

// A token of the right shape whose signature the server cannot accept.
function forgedToken(token) {
  const [h, p] = token.split('.');
  return `${h}.${p}.${Buffer.from('not the signature of this token, not of any').toString('base64url')}`;
}

let browser;
let context;
let page;
let shot = 0;
const problems = []; // console errors, CSP violations, page errors
const requested = []; // every URL the page asked for

async function screenshot(name) {
  shot += 1;
  const file = join(SHOTS, `${String(shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

before(async () => {
  assert.ok(BASE, 'DISPATCH_HTTP_URL is not set: this test needs a running dispatchd with its HTTP gateway');
  assert.ok(SUPERVISOR, 'DISPATCH_SUPERVISOR_TOKEN is not set');
  assert.ok(GATEWAY, 'DISPATCH_GATEWAY_TOKEN is not set');
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk)`);
  mkdirSync(SHOTS, { recursive: true });
  const { chromium } = loadPlaywright();
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: root ? ['--no-sandbox'] : [],
  });
  context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => requested.push(r.url()));
});

after(async () => {
  await browser?.close();
});

test('a refused token leads back to sign-in with the gateway message', { timeout: 60000 }, async () => {
  await page.goto(`${BASE}/#/board`);
  await page.getByTestId('signin').waitFor();
  await page.getByTestId('signin-token').fill(forgedToken(SUPERVISOR));
  await page.getByTestId('signin-submit').click();
  const err = page.getByTestId('signin-error');
  await err.waitFor();
  assert.match(await err.innerText(), /登录已失效|令牌/);
  await screenshot('signin-refused');
});

let ticketId = '';

test('the duty officer sees a new complaint breach and escalate, and its clock timeline', { timeout: WAIT_MS + 90000 }, async (t) => {
  const claims = claimsOf(SUPERVISOR);

  // Sign in.
  await page.goto(`${BASE}/#/board`);
  await page.getByTestId('signin-token').fill(SUPERVISOR);
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('board').waitFor();
  assert.match(await page.getByTestId('whoami').innerText(), new RegExp(claims.sub));
  await page.locator('[data-testid="event-feed"][data-status="open"]').waitFor({ timeout: 15000 });
  assert.equal(await page.evaluate(() => sessionStorage.getItem('dispatch.token')), SUPERVISOR);
  await screenshot('board-signed-in');

  // Submit a complaint as the hotline gateway would.
  const stamp = `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  const description =
    '翠苑一区3幢2单元的电梯自上周五起停运，至今已有五天。物业服务中心称在等厂家配件，但一直没有给出维修时间，' +
    '也没有张贴任何通知。楼内有多位七十岁以上的老人和行动不便的住户，每天只能爬楼梯上下十几层，' +
    '有老人在楼道里摔倒。请相关部门督促物业尽快修复电梯，并公开维修进度和费用。';
  assert.ok([...description].length >= 100);
  const res = await fetch(`${BASE}/v1/complaints`, {
    method: 'POST',
    signal: AbortSignal.timeout(20000),
    headers: { Authorization: `Bearer ${GATEWAY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      requestId: `e2e-${stamp}`,
      complaint: {
        channel: 'CHANNEL_HOTLINE_12345',
        channelWorkOrderId: `12345-E2E-${stamp}`,
        category: 'CATEGORY_SERVICE_QUALITY',
        title: '电梯停运五天无人维修',
        description,
        location: {
          jurisdiction: { communityCode: COMMUNITY },
          estateName: '翠苑一区',
          address: '3幢2单元',
        },
        complainant: { name: '王小明', phone: '13812345678' },
      },
    }),
  });
  const body = await res.json();
  assert.equal(res.status, 200, `POST /v1/complaints: ${res.status} ${JSON.stringify(body)}`);
  ticketId = body.ticket?.ticketId;
  assert.ok(ticketId, `no ticket id in ${JSON.stringify(body)}`);
  t.diagnostic(`ticket ${ticketId}`);

  // Its row appears among the tickets about to breach (from the live feed at once, from the
  // lists once the read model has it).
  const upcomingRow = page.locator(`[data-testid="board-upcoming"] [data-ticket-id="${ticketId}"]`);
  await upcomingRow.waitFor({ timeout: 10000 });
  assert.equal(await upcomingRow.getAttribute('data-state'), 'open');
  await screenshot('board-upcoming');

  // Under the scaled clock it breaches and escalates.
  const escalatedRow = page.locator(
    `[data-testid="board-breached"] [data-ticket-id="${ticketId}"][data-state="escalated"]`,
  );
  await escalatedRow.waitFor({ timeout: WAIT_MS });
  assert.equal(await escalatedRow.getAttribute('data-breached'), 'true');
  const rowText = await escalatedRow.innerText();
  assert.match(rowText, /已超时/);
  assert.match(rowText, /已升级/);
  assert.match(rowText, /责任到人/);
  assert.equal(await upcomingRow.count(), 0, 'the ticket is listed in one place only');
  // The feed showed the breach and the escalation.
  await page.locator(`[data-testid="event-feed"] [data-event-ticket-id="${ticketId}"][data-event-kind="breached"]`).first().waitFor();
  await page.locator(`[data-testid="event-feed"] [data-event-ticket-id="${ticketId}"][data-event-kind="escalated"]`).first().waitFor();
  await screenshot('board-escalated');

  // Its page: the ASSIGN clock's timeline is breached; the history has the events.
  await escalatedRow.locator('a.ticket-link').click();
  await page.locator(`[data-testid="ticket-page"][data-ticket-id="${ticketId}"][data-loaded="true"]`).waitFor();
  const assign = page.locator('[data-testid="clock-timeline"][data-clock="ASSIGN"]');
  await assign.waitFor();
  assert.equal(await assign.getAttribute('data-state'), 'breached');
  assert.equal(await assign.locator('svg').count(), 1);
  assert.ok((await assign.locator('svg rect.overrun').count()) >= 1, 'the overrun is drawn');
  assert.equal(await page.locator('[data-testid="clock-timeline"][data-clock="RESOLVE"]').count(), 1);
  const history = page.getByTestId('ticket-history');
  await history.locator('[data-event-kind="accepted"]').first().waitFor();
  await history.locator('[data-event-kind="breached"]').first().waitFor();
  await history.locator('[data-event-kind="escalated"]').first().waitFor();
  assert.match(await history.innerText(), /受理/);
  assert.ok(page.url().endsWith(`#/ticket/${encodeURIComponent(ticketId)}`));
  await screenshot('ticket-page');
});

test('the statistics page shows the scorecard and the rankings', { timeout: 60000 }, async () => {
  await page.getByTestId('nav-stats').click();
  await page.locator('[data-testid="scorecard"][data-loaded="true"]').waitFor({ timeout: 15000 });
  await page.locator('[data-testid="rankings"][data-loaded="true"]').waitFor({ timeout: 15000 });
  const card = await page.getByTestId('scorecard').innerText();
  for (const word of ['响应率', '解决率', '满意率']) assert.match(card, new RegExp(word));
  assert.equal(await page.locator('[data-testid="scorecard-chart"] canvas').count(), 1, 'the uPlot chart is drawn');
  await screenshot('stats');
});

test('logging out clears the session; the token never went into a URL', { timeout: 60000 }, async () => {
  await page.getByTestId('logout').click();
  await page.getByTestId('signin').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await page.reload();
  await page.getByTestId('signin').waitFor();
  await screenshot('signed-out');
  for (const url of requested) {
    assert.ok(!url.includes(SUPERVISOR) && !url.includes(SUPERVISOR.split('.')[2]), `token in a URL: ${url}`);
  }
  const csp = problems.filter((p) => /Content Security Policy|Refused to/i.test(p));
  assert.deepEqual(csp, [], 'no Content-Security-Policy violations');
  const pageErrors = problems.filter((p) => p.startsWith('pageerror'));
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
});
