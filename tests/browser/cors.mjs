// Opens a page of another origin in headless Chromium and runs its script, which calls the API with
// fetch() as a portal's frontend would; prints what the page saw, as JSON, on the last line.
//   node cors.mjs <page url> [chromium path]
import { chromium } from "playwright-core";

const [pageUrl, executablePath = "/usr/bin/chromium"] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox", "--headless=new"] });
try {
  const page = await browser.newPage();
  const consoleLines = [];
  page.on("console", (message) => consoleLines.push(message.text()));
  await page.goto(pageUrl);
  const result = await page.waitForFunction(() => window.__result, null, { timeout: 20000 });
  console.log(JSON.stringify({ result: await result.jsonValue(), console: consoleLines }));
} finally {
  await browser.close();
}
