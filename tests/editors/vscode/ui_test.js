// Drives code-server (VS Code in the browser) with headless Debian Chromium through playwright-core,
// against the seed-000 project served by a real registry. Started by run.sh, which has already
// installed the packaged driftls .vsix and started code-server.
//
//   node ui_test.js URL OUT_DIR
// Env: MODE: `trusted` (default; Workspace Trust off) checks diagnostics, hover, the quick fix and the
//        commands against the registry; `untrusted` (Restricted Mode) checks that the server runs
//        offline: local findings only, no registry findings, the status bar says offline.
//      HOST (the registry's host:port), BASE_DIGEST (the digest of dbt-labs/dbt-core:1.4.1),
//      CHROMIUM (default /usr/bin/chromium), STEP_TIMEOUT_MS (default 60000),
//      CHROMIUM_PROFILE (a fresh --user-data-dir; default: a new temporary directory).
// Exit 0 when every check passed. Writes OUT_DIR/MODE-result.json and screenshots OUT_DIR/MODE-*.png.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const url = process.argv[2];
const outDir = process.argv[3];
const HOST = process.env.HOST;
const BASE_DIGEST = process.env.BASE_DIGEST;
const T = Number(process.env.STEP_TIMEOUT_MS || 60000);
const MODE = process.env.MODE || 'trusted';
if (!url || !outDir || !HOST || !BASE_DIGEST) {
  console.error('usage: HOST=… BASE_DIGEST=… node ui_test.js URL OUT_DIR');
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });

const t0 = Date.now();
const result = { mode: MODE, url, host: HOST, base_digest: BASE_DIGEST, checks: [], timings_ms: {} };
const mark = (k) => { result.timings_ms[k] = Date.now() - t0; };
const check = (name, ok, detail) => {
  result.checks.push({ name, ok: !!ok, detail });
  console.log(`[${MODE}] [${ok ? 'PASS' : 'FAIL'}] ${name}${detail !== undefined ? ' -- ' + detail : ''}`);
  return !!ok;
};
// Monaco renders spaces as U+00A0; compare on normalised text.
const norm = (s) => (s || '').replace(/\u00a0/g, ' ').replace(/[ \t]+/g, ' ');
const shot = async (page, name) => {
  const file = path.join(outDir, `${MODE}-${name}`);
  await page.screenshot({ path: file }).catch((e) => console.log(`screenshot ${name} failed: ${e.message}`));
};

async function runCommand(page, title) {
  await page.keyboard.press('Control+Shift+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill('>' + title);
  const row = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: title }).first();
  try {
    await row.waitFor({ timeout: 10000 });
  } catch (e) {
    await page.keyboard.press('Escape');
    throw new Error(`command not found in the palette: ${title}`);
  }
  await page.keyboard.press('Enter');
}

async function openFile(page, name, expect) {
  const tab = page.locator('.tabs-container .tab').filter({ hasText: name }).first();
  if (await tab.count() > 0) {
    await tab.click();
  } else {
    await quickOpen(page, name);
  }
  await page.waitForFunction(({ name, expect }) => {
    const tab = document.querySelector('.tabs-container .tab.active');
    const lines = document.querySelector('.editor-instance .monaco-editor .view-lines');
    return tab && tab.textContent.includes(name) && lines && lines.textContent.replace(/\u00a0/g, ' ').includes(expect);
  }, { name, expect });
}

async function quickOpen(page, name) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: name }).first().waitFor();
  await page.keyboard.press('Enter');
}

/** Text of the Problems panel (rows are virtualised: the panel is maximised so all fit). */
async function problemsText(page) {
  return norm(await page.locator('.markers-panel').innerText().catch(() => ''));
}

/** Restricted Mode: the server runs offline, so only local findings show. */
async function untrustedChecks(page) {
  const status = page.locator('#workbench\\.parts\\.statusbar .statusbar-item').filter({ hasText: 'driftls' }).first();
  const offline = await page.waitForFunction(() =>
    [...document.querySelectorAll('#workbench\\.parts\\.statusbar .statusbar-item')]
      .some((e) => /driftls \(offline\)/.test(e.textContent)), null, { timeout: T }).then(() => true, () => false);
  check('status bar says driftls runs offline', offline, norm(await status.innerText().catch(() => '')).trim());
  await runCommand(page, 'View: Focus Problems');
  await page.locator('.markers-panel').waitFor();
  const local = await page.waitForFunction(() =>
    ((document.querySelector('.markers-panel') || {}).textContent || '').includes('package-unpinned'),
  null, { timeout: T }).then(() => true, () => false);
  // give a lookup, were one made, time to answer and re-publish
  await page.waitForTimeout(3000);
  const problems = await problemsText(page);
  result.problems = problems.slice(0, 4000);
  await shot(page, 'problems.png');
  check('local findings shown (package-unpinned)', local);
  for (const code of ['volume-inherited', 'volume-write-after-declare']) {
    check(`no registry finding: ${code}`, !problems.includes(code));
  }
}

(async () => {
  const userDataDir = process.env.CHROMIUM_PROFILE || fs.mkdtempSync(path.join(os.tmpdir(), 'driftls-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1600, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage'],
  });
  mark('browser_launched');
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(T);
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text().slice(0, 300)); });
  try {
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    await page.locator('.monaco-workbench').waitFor();
    await page.locator('#workbench\\.parts\\.statusbar').waitFor();
    mark('workbench_loaded');
    check('workbench loaded', true, await page.title());
    await page.locator('.monaco-workbench').click({ position: { x: 800, y: 500 } }).catch(() => {});

    // --- The Dockerfile: language mode, extension active, diagnostics.
    await openFile(page, 'Dockerfile', 'dbt-core:1.4.1');
    mark('dockerfile_opened');
    const mode = (await page.locator('#status\\.editor\\.mode').innerText().catch(() => '?')).trim();
    check('Dockerfile opened', true, `language mode: ${mode}`);

    const editor = page.locator('.editor-instance .monaco-editor').first();
    await editor.locator('.squiggly-error, .squiggly-warning, .squiggly-info, .squiggly-hint').first().waitFor({ state: 'attached' });
    mark('first_squiggle');

    const statusItem = page.locator('#workbench\\.parts\\.statusbar .statusbar-item').filter({ hasText: 'driftls' }).first();
    // Record every text the item shows (registry lookups in progress come and go quickly).
    await page.evaluate(() => {
      window.__driftlsStatus = [];
      const seen = () => {
        for (const e of document.querySelectorAll('#workbench\\.parts\\.statusbar .statusbar-item')) {
          const t = e.textContent.trim();
          if (/driftls/.test(t) && window.__driftlsStatus[window.__driftlsStatus.length - 1] !== t) window.__driftlsStatus.push(t);
        }
      };
      seen();
      new MutationObserver(seen).observe(document.getElementById('workbench.parts.statusbar'), { subtree: true, childList: true, characterData: true });
    });
    check('status bar item shown', await statusItem.isVisible().catch(() => false),
      norm(await statusItem.innerText().catch(() => '')).trim());

    if (MODE === 'untrusted') {
      await untrustedChecks(page);
      return;
    }

    // Deploy script and compose file too: their findings come from the same project.
    await openFile(page, 'docker-compose.yml', 'dbtstuff');
    await openFile(page, 'Jenkinsfile', 'docker compose up');
    mark('other_files_opened');

    // --- Problems panel: every expected finding, with driftls as the source.
    await runCommand(page, 'View: Focus Problems');
    await page.locator('.markers-panel').waitFor();
    await runCommand(page, 'View: Toggle Maximized Panel').catch(() => {});
    const expected = [
      ['Dockerfile', 'volume-inherited'],
      ['Dockerfile', 'volume-write-after-declare'],
      ['docker-compose.yml', 'compose-anonymous-volume'],
      ['Jenkinsfile', 'deploy-up-keeps-anonymous-volumes'],
    ];
    const allThere = () => page.waitForFunction((codes) => {
      const text = (document.querySelector('.markers-panel') || {}).textContent || '';
      return codes.every((c) => text.includes(c));
    }, expected.map(([, code]) => code), { timeout: T }).then(() => true, () => false);
    await allThere();
    const problems = await problemsText(page);
    result.problems = problems.slice(0, 4000);
    mark('problems');
    for (const [file, code] of expected) {
      check(`Problems panel: ${file} ${code}`, problems.includes(code) && problems.includes(file));
    }
    check('Problems panel: source is driftls', /driftls/.test(problems));
    // volume-inherited sits on line 2 (the FROM image)
    const inheritedLine = /volume-inherited\)?\s*\[(?:Ln|Line) (\d+)/.exec(problems);
    check('volume-inherited is on line 2', inheritedLine && inheritedLine[1] === '2',
      (inheritedLine ? inheritedLine[0] : problems.slice(0, 200)).replace(/\s+/g, ' '));
    await shot(page, 'problems.png');
    await runCommand(page, 'View: Toggle Maximized Panel').catch(() => {});
    await page.keyboard.press('Control+J');   // hide the panel

    // --- Hover on the FROM image: the inherited VOLUME.
    await openFile(page, 'Dockerfile', 'dbt-core:1.4.1');
    // (line 1 is a comment that also names dbt-core: look for the registry host)
    const fromLine = editor.locator('.view-line').filter({ hasText: `${HOST}/dbt-labs/dbt-core` }).first();
    const imageToken = fromLine.locator('span > span').filter({ hasText: 'dbt-labs' }).first();
    await imageToken.click();
    await page.mouse.move(5, 5);
    await imageToken.hover();
    const hoverWanted = 'VOLUME ["/usr/app"]';
    const hoverShows = (timeout) => page.waitForFunction((want) =>
      [...document.querySelectorAll('.monaco-hover')].some((e) => e.textContent.replace(/\u00a0/g, ' ').includes(want)),
    hoverWanted, { timeout }).then(() => true, () => false);
    let hoverOk = await hoverShows(10000);
    result.hover_by = 'mouse';
    if (!hoverOk) {
      // The keyboard way ("Show or Focus Hover", Ctrl+K Ctrl+I) at the cursor, on the image.
      result.hover_by = 'keyboard';
      await page.keyboard.press('Control+K');
      await page.keyboard.press('Control+I');
      hoverOk = await hoverShows(T);
    }
    const hoverText = norm([...await page.locator('.monaco-hover').allInnerTexts()].join(' | '));
    result.hover = hoverText.slice(0, 3000);
    mark('hover');
    await shot(page, 'hover.png');
    check('hover on the FROM image shows the inherited VOLUME', hoverOk, `${result.hover_by}: ${hoverOk ? hoverWanted : hoverText.slice(0, 300)}`);

    // --- Quick fix "Pin to sha256:…" on the image.
    await page.keyboard.press('Escape');
    await page.mouse.move(5, 5);
    await imageToken.click();
    await page.keyboard.press('Control+.');
    const pinAction = page.locator('.action-widget .monaco-list-row.action').filter({ hasText: /Pin to sha256/ }).first();
    await pinAction.waitFor({ state: 'visible' });
    const titles = norm((await page.locator('.action-widget .monaco-list-row.action').allInnerTexts()).join(' | '));
    result.quick_fixes = titles;
    const pinTitle = norm(await pinAction.innerText()).trim();
    await shot(page, 'quickfix-menu.png');
    await pinAction.click();
    const wantLine = `FROM ${HOST}/dbt-labs/dbt-core:1.4.1@${BASE_DIGEST} as build`;
    const pinned = await page.waitForFunction((want) => {
      const lines = [...document.querySelectorAll('.editor-instance .monaco-editor .view-line')];
      return lines.some((l) => l.textContent.replace(/\u00a0/g, ' ').trim() === want);
    }, wantLine, { timeout: T }).then(() => true, () => false);
    mark('pinned');
    const lineNow = norm(await fromLine.innerText().catch(() => '')).trim();
    await shot(page, 'pinned.png');
    check('quick fix pins the FROM image to its digest', pinned, `${pinTitle} => ${pinned ? wantLine : lineNow}`);
    result.pinned_line = pinned ? wantLine : lineNow;

    // --- "driftls: Pin all images in file": undo the quick fix, then pin through the command.
    const unpinnedLine = `FROM ${HOST}/dbt-labs/dbt-core:1.4.1 as build`;
    const lineIs = (want, timeout) => page.waitForFunction((want) =>
      [...document.querySelectorAll('.editor-instance .monaco-editor .view-line')]
        .some((l) => l.textContent.replace(/\u00a0/g, ' ').trim() === want), want, { timeout }).then(() => true, () => false);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Z');
    const undone = await lineIs(unpinnedLine, 10000);
    await runCommand(page, 'driftls: Pin all images in file');
    const pinnedAgain = undone && await lineIs(wantLine, T);
    mark('pin_all_command');
    await shot(page, 'pin-all-command.png');
    check('"driftls: Pin all images in file" pins the FROM image', pinnedAgain,
      undone ? (pinnedAgain ? wantLine : norm(await fromLine.innerText().catch(() => ''))) : 'undo of the quick fix did not restore the line');

    // --- The status bar item showed registry lookups, and goes back to idle when they are done.
    // (the extension drops a count not updated for 30 s; see editors/vscode/src/status.ts)
    const idleFrom = Date.now();
    const idle = await page.waitForFunction(() =>
      [...document.querySelectorAll('#workbench\\.parts\\.statusbar .statusbar-item')]
        .some((e) => e.textContent.trim() === 'driftls'), null, { timeout: 40000 }).then(() => true, () => false);
    const idleAfter = Date.now() - idleFrom;
    const statusTexts = await page.evaluate(() => window.__driftlsStatus || []);
    result.status_texts = statusTexts;
    check('status bar showed registry lookups in progress', statusTexts.some((t) => /registry lookup/.test(t)), statusTexts.join(' → '));
    check('status bar back to idle after the lookups', idle,
      `${norm(await statusItem.innerText().catch(() => '')).trim()} (after ${idleAfter} ms)`);

    // --- "driftls: Show output": the extension's log says which server it started.
    await runCommand(page, 'driftls: Show output');
    const outputOk = await page.waitForFunction(() =>
      [...document.querySelectorAll('.panel .monaco-editor .view-lines')].some((e) => /lsp\s--stdio/.test(e.textContent)),
    null, { timeout: T }).then(() => true, () => false);
    await shot(page, 'output.png');
    check('"driftls: Show output" shows the driftls log', outputOk);

    // --- "driftls: Restart server": a new server answers (diagnostics come back after the restart).
    await runCommand(page, 'driftls: Restart server');
    const restarted = await page.waitForFunction(() => {
      const lines = [...document.querySelectorAll('.panel .monaco-editor .view-lines')].map((e) => e.textContent).join('\n');
      return (lines.match(/lsp\s--stdio/g) || []).length >= 2;
    }, null, { timeout: T }).then(() => true, () => false);
    const squiggleBack = restarted && await editor.locator('.squiggly-warning, .squiggly-info').first()
      .waitFor({ state: 'attached', timeout: T }).then(() => true, () => false);
    await shot(page, 'restarted.png');
    check('"driftls: Restart server" restarts it', restarted && squiggleBack,
      restarted ? (squiggleBack ? 'restarted, diagnostics back' : 'restarted, no diagnostics') : 'no second start in the log');
  } catch (e) {
    check('no exception', false, String((e && e.message) || e).split('\n')[0]);
    await shot(page, 'failure.png');
  } finally {
    result.console_errors = consoleErrors.slice(0, 20);
    result.ok = result.checks.length > 0 && result.checks.every((c) => c.ok);
    mark('total');
    fs.writeFileSync(path.join(outDir, `${MODE}-result.json`), JSON.stringify(result, null, 2));
    await context.close().catch(() => {});
    if (!process.env.CHROMIUM_PROFILE) fs.rmSync(userDataDir, { recursive: true, force: true });
    console.log(JSON.stringify(result.timings_ms));
    process.exit(result.ok ? 0 : 1);
  }
})();
